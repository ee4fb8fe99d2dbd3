package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// AttemptRecord is an attempt of a delivery with where it left the
// delivery, as RecordAttempt stores it.
type AttemptRecord struct {
	Attempt *DeliveryAttempt
	// Status is the delivery's status after the attempt; a pending one
	// is due again at NextAttemptAt (nil: unknown), a held one never.
	Status        DeliveryStatus
	NextAttemptAt *time.Time
	// Webhook is the delivery's webhook as the attempt read it (nil: not
	// read): a success leaves the webhook's row alone when it was read
	// with no failing_since to clear.
	Webhook *Webhook
	// InFlightHolder, when set, is the webhook's in-flight slot the request
	// held (Store.AcquireFlowSlot): it is given back with the record.
	InFlightHolder string
}

func (r AttemptRecord) webhookID() string {
	if r.Webhook != nil {
		return r.Webhook.ID
	}
	return ""
}

// RecordAttempt stores an attempt and moves its delivery to its status in
// one transaction, and gives back the in-flight slot the request held.
// Its webhook's failing_since goes with it: cleared by a success, set by
// the first failure after one. Only a pending delivery moves; otherwise,
// or if the attempt number was already recorded, it returns ErrConflict
// and stores nothing of the attempt (the slot is given back regardless).
//
// Attempts recorded at about the same time, by the deliveries of one
// event or by concurrent activities, share a transaction (see
// groupCommit); inside a transaction of the caller's it is written there.
func (s *Store) RecordAttempt(ctx context.Context, r AttemptRecord) error {
	if s.attempts == nil {
		return s.writeAttempts(ctx, []AttemptRecord{r})[0]
	}
	return s.attempts.do(ctx, r)
}

// writeAttempts stores records in one transaction, in the order of their
// webhooks and deliveries so that concurrent writers on MySQL take their
// row locks in one order. If the transaction fails, each is written on
// its own, so that one record's error is its own.
func (s *Store) writeAttempts(ctx context.Context, records []AttemptRecord) []error {
	order := make([]int, len(records))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(records[a].webhookID(), records[b].webhookID()),
			cmp.Compare(records[a].Attempt.DeliveryID, records[b].Attempt.DeliveryID))
	})
	errs := make([]error, len(records))
	err := s.transactionRetryingDeadlocks(ctx, func(tx *Store) error {
		clear(errs)
		var recorded []*DeliveryAttempt
		for _, i := range order {
			moved, err := tx.moveAttemptedDelivery(ctx, records[i])
			if err != nil {
				return err
			}
			if !moved {
				errs[i] = fmt.Errorf("%w: delivery %s is no longer pending", ErrConflict, records[i].Attempt.DeliveryID)
				continue
			}
			recorded = append(recorded, records[i].Attempt)
			if err := tx.noteWebhookHealth(ctx, records[i]); err != nil {
				return err
			}
		}
		if len(recorded) > 0 {
			if err := tx.Create(ctx, &recorded); err != nil {
				return err
			}
		}
		for _, i := range order {
			if r := records[i]; r.InFlightHolder != "" {
				if err := tx.releaseFlowSlot(ctx, r.webhookID(), r.InFlightHolder); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		return errs
	}
	if len(records) == 1 {
		errs[0] = translate(err)
		return errs
	}
	for i := range records {
		errs[i] = s.writeAttempts(ctx, records[i:i+1])[0]
	}
	return errs
}

// moveAttemptedDelivery moves a pending delivery to where its attempt
// left it, and reports whether it was pending.
func (s *Store) moveAttemptedDelivery(ctx context.Context, r AttemptRecord) (bool, error) {
	now := Now()
	updates := map[string]any{"attempts": r.Attempt.Number, "status": r.Status, "updated_at": now,
		"last_attempt_at": r.Attempt.StartedAt, "next_attempt_at": nil, "reserved_slot_at": nil}
	switch r.Status {
	case DeliveryPending:
		updates["next_attempt_at"] = r.NextAttemptAt
	case DeliveryHeld:
	default:
		updates["completed_at"] = now
	}
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND status = ?", r.Attempt.DeliveryID, DeliveryPending).
		Updates(updates)
	return res.RowsAffected > 0, res.Error
}

// noteWebhookHealth keeps the failing_since of an attempt's webhook: a
// success clears it, a failure sets it unless it is set. A held delivery
// says nothing: its webhook is being disabled on its receiver's request.
func (s *Store) noteWebhookHealth(ctx context.Context, r AttemptRecord) error {
	q := s.db.WithContext(ctx).Model(&Webhook{})
	if r.Webhook != nil {
		q = q.Where("id = ?", r.Webhook.ID)
	} else {
		q = q.Where("id = (?)", s.db.Model(&Delivery{}).Select("webhook_id").Where("id = ?", r.Attempt.DeliveryID))
	}
	switch r.Status {
	case DeliverySucceeded:
		if r.Webhook != nil && r.Webhook.FailingSince == nil {
			return nil // nothing to clear
		}
		return q.Where("failing_since IS NOT NULL").UpdateColumn("failing_since", nil).Error
	case DeliveryPending, DeliveryFailed:
		return q.Where("failing_since IS NULL").UpdateColumn("failing_since", r.Attempt.StartedAt).Error
	}
	return nil
}
