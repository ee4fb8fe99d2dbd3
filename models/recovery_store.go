package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// failedInWindow narrows deliveries to a webhook's failed ones made in
// [since, until): an id range, indexed and alike on both dialects.
func (s *Store) failedInWindow(ctx context.Context, webhookID string, since, until time.Time) *gorm.DB {
	return s.db.WithContext(ctx).Model(&Delivery{}).
		Where("webhook_id = ? AND status = ?", webhookID, DeliveryFailed).
		Where("id >= ? AND id < ?", FirstIDAt(PrefixDelivery, since), FirstIDAt(PrefixDelivery, until))
}

// CountFailedDeliveries counts a webhook's failed deliveries made in
// [since, until): what a recovery of that window would re-deliver.
func (s *Store) CountFailedDeliveries(ctx context.Context, webhookID string, since, until time.Time) (int64, error) {
	var n int64
	err := s.failedInWindow(ctx, webhookID, since, until).Count(&n).Error
	return n, err
}

// RecoveryRunningFor returns the running recovery of a webhook, or
// ErrNotFound.
func (s *Store) RecoveryRunningFor(ctx context.Context, webhookID string) (*Recovery, error) {
	var r Recovery
	err := s.db.WithContext(ctx).Where("webhook_id = ? AND status = ?", webhookID, RecoveryRunning).Take(&r).Error
	return &r, translate(err)
}

// DeliveriesToRecover returns the next failed deliveries a recovery has
// to re-deliver, after the last one it did, in id order.
func (s *Store) DeliveriesToRecover(ctx context.Context, r *Recovery, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.failedInWindow(ctx, r.WebhookID, r.Since, r.Until).
		Where("id > ?", r.LastDeliveryID).Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// RecountRecovery sets a recovery's total to those it did and the failed
// deliveries still ahead of it.
func (s *Store) RecountRecovery(ctx context.Context, r *Recovery) error {
	var ahead int64
	if err := s.failedInWindow(ctx, r.WebhookID, r.Since, r.Until).Where("id > ?", r.LastDeliveryID).Count(&ahead).Error; err != nil {
		return err
	}
	return s.db.WithContext(ctx).Model(&Recovery{}).Where("id = ?", r.ID).
		Updates(map[string]any{"total": gorm.Expr("done + ?", ahead), "updated_at": Now()}).Error
}

// ErrRecoveryEnded is returned when a recovery is asked to go on after it
// ended (it was cancelled, say).
var ErrRecoveryEnded = errors.New("the recovery has ended")

// ClaimForRecovery reopens a failed delivery for a running recovery (see
// ReopenDelivery) and marks it the one the recovery has in flight. It
// reports false if the delivery is no longer failed; ErrRecoveryEnded if
// the recovery is not running any more, and then changes nothing.
func (s *Store) ClaimForRecovery(ctx context.Context, recoveryID string, d *Delivery) (bool, error) {
	claimed := false
	err := s.Transaction(ctx, func(tx *Store) error {
		res := tx.db.WithContext(ctx).Model(&Recovery{}).Where("id = ? AND status = ?", recoveryID, RecoveryRunning).
			Updates(map[string]any{"in_flight_id": d.ID, "updated_at": Now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrRecoveryEnded
		}
		var err error
		claimed, err = tx.reopenDelivery(ctx, d, []DeliveryStatus{DeliveryFailed})
		return err
	})
	return claimed, err
}

// RecordRecoveryAttempt stores a recovery's attempt of a delivery as
// RecordAttempt does, and counts it done for the recovery, in one
// transaction: a recovery that starts again after a crash goes on after it.
func (s *Store) RecordRecoveryAttempt(ctx context.Context, recoveryID string, r AttemptRecord) error {
	return s.Transaction(ctx, func(tx *Store) error {
		if err := tx.RecordAttempt(ctx, r); err != nil {
			return err
		}
		return tx.countRecovered(ctx, recoveryID, r.Attempt.DeliveryID, r.Status == DeliverySucceeded)
	})
}

// FailForRecovery fails a delivery a recovery could not attempt (its event
// is gone, say) and counts it done, in one transaction.
func (s *Store) FailForRecovery(ctx context.Context, recoveryID, deliveryID, reason string) error {
	return s.Transaction(ctx, func(tx *Store) error {
		if _, err := tx.FailPendingDelivery(ctx, deliveryID, reason); err != nil {
			return err
		}
		return tx.countRecovered(ctx, recoveryID, deliveryID, false)
	})
}

func (s *Store) countRecovered(ctx context.Context, recoveryID, deliveryID string, succeeded bool) error {
	outcome := "failed"
	if succeeded {
		outcome = "succeeded"
	}
	return s.db.WithContext(ctx).Model(&Recovery{}).Where("id = ?", recoveryID).Updates(map[string]any{
		"done":             gorm.Expr("done + 1"),
		outcome:            gorm.Expr(outcome + " + 1"),
		"last_delivery_id": deliveryID,
		"in_flight_id":     nil,
		"updated_at":       Now(),
	}).Error
}

// EndRecovery moves a running recovery to status (completed, cancelled or
// failed, with the reason); it reports whether it did. A completed one's
// total is what it did.
func (s *Store) EndRecovery(ctx context.Context, recoveryID string, status RecoveryStatus, reason string) (bool, error) {
	now := Now()
	updates := map[string]any{"status": status, "reason": FitText(reason, 1024), "completed_at": now, "updated_at": now}
	if status == RecoveryCompleted {
		updates["total"] = gorm.Expr("done")
	}
	res := s.db.WithContext(ctx).Model(&Recovery{}).Where("id = ? AND status = ?", recoveryID, RecoveryRunning).Updates(updates)
	return res.RowsAffected > 0, res.Error
}

// PassOverForRecovery moves a recovery past a delivery it had in flight
// without counting it: something else finished the delivery meanwhile.
func (s *Store) PassOverForRecovery(ctx context.Context, recoveryID, deliveryID string) error {
	return s.db.WithContext(ctx).Model(&Recovery{}).Where("id = ?", recoveryID).
		Updates(map[string]any{"last_delivery_id": deliveryID, "in_flight_id": nil, "updated_at": Now()}).Error
}
