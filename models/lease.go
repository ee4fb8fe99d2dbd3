package models

import (
	"context"
	"errors"
	"time"
)

// Lease gives a job to one process at a time, however many run: its holder
// renews it before it expires, and any other may take it once it has.
// Holders compare expiry times written by their own clocks, so the clocks
// of the processes must agree to well within a lease's length.
type Lease struct {
	Name      string    `gorm:"primaryKey;size:64"`
	Holder    string    `gorm:"size:255;not null"`
	ExpiresAt time.Time `gorm:"not null"`
}

// AcquireLease takes the named lease for holder until now+ttl, or renews it
// if holder has it already, and reports whether holder has it now.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	expires := now.Add(ttl)
	res := s.db.WithContext(ctx).Model(&Lease{}).
		Where("name = ? AND (holder = ? OR expires_at <= ?)", name, holder, now).
		Updates(map[string]any{"holder": holder, "expires_at": expires})
	if res.Error != nil {
		return false, translate(res.Error)
	}
	if res.RowsAffected > 0 {
		return true, nil
	}
	err := translate(s.db.WithContext(ctx).Create(&Lease{Name: name, Holder: holder, ExpiresAt: expires}).Error)
	if err == nil || !errors.Is(err, ErrConflict) {
		return err == nil, err
	}
	// Someone else has it; or holder does, and MySQL counted no changed
	// row because the expiry did not move (two renewals in a millisecond).
	var current Lease
	if err := s.db.WithContext(ctx).Where("name = ?", name).Take(&current).Error; err != nil {
		return false, translate(err)
	}
	return current.Holder == holder && current.ExpiresAt.After(now), nil
}

// ReleaseLease gives the named lease up if holder has it, so another
// process can take it at once instead of when it expires.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return translate(s.db.WithContext(ctx).Where("name = ? AND holder = ?", name, holder).Delete(&Lease{}).Error)
}
