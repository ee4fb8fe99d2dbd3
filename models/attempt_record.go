package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

// writeAttempts stores records in one transaction (on MySQL, a deadlock
// runs it again). If it fails, each is written on its own, so that one
// record's error is its own. Several records come from group commit.
func (s *Store) writeAttempts(ctx context.Context, records []AttemptRecord) []error {
	errs := make([]error, len(records))
	err := s.transactionRetryingDeadlocks(ctx, func(tx *Store) error {
		clear(errs)
		moved, err := tx.moveAttemptedDeliveries(ctx, records)
		if err != nil {
			return err
		}
		var recorded []*DeliveryAttempt
		for i, r := range records {
			if !moved[i] {
				errs[i] = fmt.Errorf("%w: delivery %s is no longer pending", ErrConflict, r.Attempt.DeliveryID)
				continue
			}
			recorded = append(recorded, r.Attempt)
			if err := tx.noteWebhookHealth(ctx, r); err != nil {
				return err
			}
		}
		if len(recorded) > 0 {
			if err := tx.Create(ctx, &recorded); err != nil {
				return err
			}
		}
		var webhookIDs, holders []string
		for _, r := range records {
			if r.InFlightHolder != "" {
				webhookIDs, holders = append(webhookIDs, r.webhookID()), append(holders, r.InFlightHolder)
			}
		}
		return tx.releaseFlowSlots(ctx, webhookIDs, holders)
	})
	if err == nil {
		return errs
	}
	if len(records) == 1 {
		errs[0] = translate(err)
		if r := records[0]; r.InFlightHolder != "" {
			// The request is over whatever became of its record; a slot
			// not given back now frees itself when its lease expires.
			_ = s.ReleaseFlowSlot(ctx, r.webhookID(), r.InFlightHolder)
		}
		return errs
	}
	for i := range records {
		errs[i] = s.writeAttempts(ctx, records[i:i+1])[0]
	}
	return errs
}

// moveAttemptedDeliveries moves the pending deliveries of records to where
// their attempts left them, and reports which were pending. Records alike
// (the same status, attempt number and next attempt) move in one UPDATE,
// as an event's fan-out mostly does.
func (s *Store) moveAttemptedDeliveries(ctx context.Context, records []AttemptRecord) ([]bool, error) {
	if len(records) == 1 {
		moved, err := s.moveAlike(ctx, records)
		return []bool{moved}, err
	}
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.Attempt.DeliveryID
	}
	var pendingIDs []string
	if err := s.db.WithContext(ctx).Model(&Delivery{}).Where("id IN ? AND status = ?", ids, DeliveryPending).
		Pluck("id", &pendingIDs).Error; err != nil {
		return nil, err
	}
	pending := make(map[string]bool, len(pendingIDs))
	for _, id := range pendingIDs {
		pending[id] = true
	}
	type kind struct {
		status DeliveryStatus
		number int
		next   int64
	}
	alike := map[kind][]int{}
	var kinds []kind
	for i, r := range records {
		if !pending[r.Attempt.DeliveryID] {
			continue
		}
		k := kind{status: r.Status, number: r.Attempt.Number}
		if r.Status == DeliveryPending && r.NextAttemptAt != nil {
			k.next = r.NextAttemptAt.UnixNano()
		}
		if alike[k] == nil {
			kinds = append(kinds, k)
		}
		alike[k] = append(alike[k], i)
	}
	moved := make([]bool, len(records))
	for _, k := range kinds {
		group := make([]AttemptRecord, len(alike[k]))
		for j, i := range alike[k] {
			group[j] = records[i]
			moved[i] = true
		}
		if _, err := s.moveAlike(ctx, group); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// moveAlike moves the pending deliveries of records alike (see
// moveAttemptedDeliveries) in one UPDATE, each with the start of its own
// attempt, and reports whether one was pending.
func (s *Store) moveAlike(ctx context.Context, records []AttemptRecord) (bool, error) {
	r := records[0]
	now := Now()
	ids := make([]string, len(records))
	for i, a := range records {
		ids[i] = a.Attempt.DeliveryID
	}
	var lastAttemptAt any = r.Attempt.StartedAt
	if len(records) > 1 {
		lastAttemptAt = eachStarted(records)
	}
	updates := map[string]any{"attempts": r.Attempt.Number, "status": r.Status, "updated_at": now,
		"last_attempt_at": lastAttemptAt, "next_attempt_at": nil, "reserved_slot_at": nil}
	switch r.Status {
	case DeliveryPending:
		updates["next_attempt_at"] = r.NextAttemptAt
	case DeliveryHeld:
	default:
		updates["completed_at"] = now
	}
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id IN ? AND status = ?", ids, DeliveryPending).
		Updates(updates)
	return res.RowsAffected > 0, res.Error
}

// eachStarted is a CASE expression giving each record's delivery the
// start of its own attempt.
func eachStarted(records []AttemptRecord) clause.Expr {
	var cases strings.Builder
	args := make([]any, 0, 2*len(records))
	cases.WriteString("CASE id")
	for _, r := range records {
		cases.WriteString(" WHEN ? THEN ?")
		args = append(args, r.Attempt.DeliveryID, r.Attempt.StartedAt)
	}
	cases.WriteString(" END")
	return gorm.Expr(cases.String(), args...)
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
