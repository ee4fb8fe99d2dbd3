package models

import (
	"context"
	"time"
)

// SettleEventIfDone marks the event settled when none of its deliveries is
// pending any more; it reports whether the event is settled now. Call it
// after recording an outcome: whichever call records the last one settles
// the event.
func (s *Store) SettleEventIfDone(ctx context.Context, eventID string) (bool, error) {
	pending := s.db.WithContext(ctx).Model(&Delivery{}).Select("1").
		Where("deliveries.event_id = events.id AND deliveries.status = ?", DeliveryPending)
	res := s.db.WithContext(ctx).Model(&Event{}).
		Where("id = ? AND settled_at IS NULL AND NOT EXISTS (?)", eventID, pending).
		Update("settled_at", Now())
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected > 0 {
		return true, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&Event{}).Where("id = ? AND settled_at IS NOT NULL", eventID).Count(&n).Error
	return n > 0, err
}

// DispatchUnwanted records that an event no webhook wants needs no
// workflow: it is dispatched, and settled unless a delivery of it is
// pending (one that a workflow started earlier made, and finishes).
func (s *Store) DispatchUnwanted(ctx context.Context, eventID string) error {
	if err := s.MarkDispatched(ctx, eventID); err != nil {
		return err
	}
	_, err := s.SettleEventIfDone(ctx, eventID)
	return err
}

// SettleEvent marks an event settled whatever its deliveries say: for an
// event that is skipped because it cannot be read.
func (s *Store) SettleEvent(ctx context.Context, eventID string) error {
	return s.db.WithContext(ctx).Model(&Event{}).
		Where("id = ? AND settled_at IS NULL", eventID).
		Update("settled_at", Now()).Error
}

// UnsettledEvents lists events dispatched before dispatchedBefore and not
// settled, that the reconciler has not looked at since checkedBefore,
// oldest first. Only the ids, type and times are read, so an
// unreadable event is listed too.
func (s *Store) UnsettledEvents(ctx context.Context, dispatchedBefore, checkedBefore time.Time, limit int) ([]Event, error) {
	var events []Event
	err := s.db.WithContext(ctx).Select("id", "account_id", "type", "dispatched_at", "reconciled_at").
		Where("settled_at IS NULL AND dispatched_at IS NOT NULL AND dispatched_at < ?", dispatchedBefore).
		Where("reconciled_at IS NULL OR reconciled_at < ?", checkedBefore).
		Order("dispatched_at").Limit(limit).Find(&events).Error
	return events, err
}

// MarkReconciled records that the reconciler looked at an event now.
func (s *Store) MarkReconciled(ctx context.Context, eventID string) error {
	return s.db.WithContext(ctx).Model(&Event{}).Where("id = ?", eventID).
		Update("reconciled_at", Now()).Error
}

// HasPendingDeliveries reports whether any delivery of the event waits for
// an outcome.
func (s *Store) HasPendingDeliveries(ctx context.Context, eventID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("event_id = ? AND status = ?", eventID, DeliveryPending).Limit(1).Count(&n).Error
	return n > 0, err
}
