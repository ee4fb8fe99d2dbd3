package models

import (
	"context"
	"errors"
	"time"
)

// IdempotencyWindow is how long a client's Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

// IdempotentRequest remembers the first request an account made under an
// Idempotency-Key, and once it finished, its response, so a retry gets the
// same answer without a second effect.
type IdempotentRequest struct {
	AccountID string `gorm:"primaryKey;size:40"`
	Key       string `gorm:"primaryKey;column:idempotency_key;size:255"`
	// RequestHash tells a retry of the same request from a different
	// request that reuses the key.
	RequestHash string `gorm:"size:64;not null"`
	// StatusCode is 0 while the first request is still being answered.
	StatusCode int       `gorm:"not null;default:0"`
	Header     Fields    `gorm:"type:text"`
	Body       []byte    `gorm:"type:mediumblob"`
	CreatedAt  time.Time `gorm:"not null;index"`
}

// Done reports whether the first request has been answered.
func (r *IdempotentRequest) Done() bool { return r.StatusCode != 0 }

// BeginIdempotentRequest claims an Idempotency-Key for a request. It
// returns the record and true when this request is the first within the
// window and must run; otherwise the record of the earlier one, done or
// still running. A record older than the window is forgotten.
func (s *Store) BeginIdempotentRequest(ctx context.Context, accountID, key, requestHash string) (*IdempotentRequest, bool, error) {
	for range 2 {
		rec := &IdempotentRequest{AccountID: accountID, Key: key, RequestHash: requestHash, CreatedAt: Now()}
		err := s.Create(ctx, rec)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, false, err
		}
		var earlier IdempotentRequest
		if err := s.db.WithContext(ctx).Where("account_id = ? AND idempotency_key = ?", accountID, key).Take(&earlier).Error; err != nil {
			return nil, false, translate(err)
		}
		if Now().Sub(earlier.CreatedAt) < IdempotencyWindow {
			return &earlier, false, nil
		}
		// Expired: forget it (only that one, should another request have
		// replaced it meanwhile) and claim the key again.
		err = s.db.WithContext(ctx).Where("account_id = ? AND idempotency_key = ? AND request_hash = ? AND status_code = ?",
			accountID, key, earlier.RequestHash, earlier.StatusCode).Delete(&IdempotentRequest{}).Error
		if err != nil {
			return nil, false, err
		}
	}
	return nil, false, ErrConflict
}

// FinishIdempotentRequest stores the response of the request that claimed the key.
func (s *Store) FinishIdempotentRequest(ctx context.Context, rec *IdempotentRequest) error {
	// Model(rec) keys the UPDATE on the record's primary key.
	return s.db.WithContext(ctx).Model(rec).Where("status_code = 0").
		Select("status_code", "header", "body").Updates(rec).Error
}

// AbandonIdempotentRequest releases a key whose request failed on our
// side, so the client's retry runs again instead of replaying the failure.
func (s *Store) AbandonIdempotentRequest(ctx context.Context, rec *IdempotentRequest) error {
	return s.db.WithContext(ctx).
		Where("account_id = ? AND idempotency_key = ? AND status_code = 0", rec.AccountID, rec.Key).
		Delete(&IdempotentRequest{}).Error
}

// PruneIdempotentRequests deletes at most limit of the records older than
// the window, the oldest first, and reports how many it deleted: call it
// until that is fewer than limit.
func (s *Store) PruneIdempotentRequests(ctx context.Context, limit int) (int64, error) {
	cutoff := Now().Add(-IdempotencyWindow)
	var expired []struct{ AccountID, IdempotencyKey string }
	err := s.db.WithContext(ctx).Model(&IdempotentRequest{}).Select("account_id", "idempotency_key").
		Where("created_at < ?", cutoff).Order("created_at").Limit(limit).Scan(&expired).Error
	if err != nil || len(expired) == 0 {
		return 0, err
	}
	keys := make([][]any, len(expired))
	for i, r := range expired {
		keys[i] = []any{r.AccountID, r.IdempotencyKey}
	}
	// Still expired: a key claimed again meanwhile stays.
	res := s.db.WithContext(ctx).Where("(account_id, idempotency_key) IN ? AND created_at < ?", keys, cutoff).Delete(&IdempotentRequest{})
	return res.RowsAffected, res.Error
}
