package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
// On SQLite, attempts recorded at about the same time, by the deliveries
// of one event or by concurrent activities, share a transaction (see
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
		moved, err := tx.moveAttemptedDeliveries(ctx, records, order)
		if err != nil {
			return err
		}
		var recorded []*DeliveryAttempt
		for _, i := range order {
			if !moved[i] {
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
		return tx.releaseFlowSlotsOf(ctx, records)
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

// moveAttemptedDeliveries moves the pending deliveries of records (taken
// in order) to where their attempts left them, and reports which were
// pending. Records alike (the same status, attempt number and next
// attempt) move in one UPDATE, as an event's fan-out mostly does.
func (s *Store) moveAttemptedDeliveries(ctx context.Context, records []AttemptRecord, order []int) ([]bool, error) {
	moved := make([]bool, len(records))
	if len(records) == 1 {
		var err error
		moved[0], err = s.moveAttemptedDelivery(ctx, records[0], []string{records[0].Attempt.DeliveryID})
		return moved, err
	}
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.Attempt.DeliveryID
	}
	var pending []string
	q := s.db.WithContext(ctx).Model(&Delivery{}).Where("id IN ? AND status = ?", ids, DeliveryPending)
	if s.dialect == DialectMySQL {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}) // so they stay pending until moved
	}
	if err := q.Pluck("id", &pending).Error; err != nil {
		return nil, err
	}
	type kind struct {
		status DeliveryStatus
		number int
		next   int64
	}
	alike := map[kind][]int{}
	var kinds []kind
	for _, i := range order {
		r := records[i]
		if !slices.Contains(pending, r.Attempt.DeliveryID) {
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
	for _, k := range kinds {
		group := alike[k]
		ids := make([]string, len(group))
		for j, i := range group {
			ids[j] = records[i].Attempt.DeliveryID
		}
		if _, err := s.moveAttemptedDelivery(ctx, records[group[0]], ids, records...); err != nil {
			return nil, err
		}
		for _, i := range group {
			moved[i] = true
		}
	}
	return moved, nil
}

// moveAttemptedDelivery moves the pending deliveries ids to where r's
// attempt left r's delivery (the others' attempts are alike, but for when
// they started: each delivery's is taken from all), and reports whether
// one was pending.
func (s *Store) moveAttemptedDelivery(ctx context.Context, r AttemptRecord, ids []string, all ...AttemptRecord) (bool, error) {
	now := Now()
	var lastAttemptAt any = r.Attempt.StartedAt
	if len(ids) > 1 {
		started := make(map[string]time.Time, len(all))
		for _, a := range all {
			started[a.Attempt.DeliveryID] = a.Attempt.StartedAt
		}
		var cases strings.Builder
		args := make([]any, 0, 2*len(ids))
		cases.WriteString("CASE id")
		for _, id := range ids {
			cases.WriteString(" WHEN ? THEN ?")
			args = append(args, id, started[id])
		}
		cases.WriteString(" END")
		lastAttemptAt = gorm.Expr(cases.String(), args...)
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

// releaseFlowSlotsOf gives back the in-flight slots records held, in one
// statement.
func (s *Store) releaseFlowSlotsOf(ctx context.Context, records []AttemptRecord) error {
	var webhookIDs, holders []string
	for _, r := range records {
		if r.InFlightHolder != "" {
			webhookIDs = append(webhookIDs, r.webhookID())
			holders = append(holders, r.InFlightHolder)
		}
	}
	if len(holders) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Model(&WebhookFlowSlot{}).
		Where("webhook_id IN ? AND holder IN ?", webhookIDs, holders).
		Updates(map[string]any{"holder": "", "expires_ms": 0}).Error
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
