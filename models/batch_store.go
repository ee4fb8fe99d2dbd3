package models

import (
	"context"
	"fmt"
	"time"
)

// WaitingBatchItems returns up to limit of a webhook's events waiting for a
// batch, oldest first.
func (s *Store) WaitingBatchItems(ctx context.Context, webhookID string, limit int) ([]BatchItem, error) {
	var items []BatchItem
	err := s.db.WithContext(ctx).Where("webhook_id = ? AND delivery_id IS NULL", webhookID).
		Order("seq").Limit(limit).Find(&items).Error
	return items, err
}

// CreateBatchDelivery turns waiting items (as WaitingBatchItems read them)
// into one pending delivery to their webhook, in one transaction. An item
// collected meanwhile by someone else is ErrConflict, and nothing is
// written.
func (s *Store) CreateBatchDelivery(ctx context.Context, w *Webhook, items []BatchItem) (*Delivery, error) {
	if len(items) == 0 {
		return nil, fmt.Errorf("a batch of no event")
	}
	seqs := make([]uint64, len(items))
	for i, it := range items {
		seqs[i] = it.Seq
	}
	d := Delivery{ID: NewID(PrefixDelivery), Owned: Owned{AccountID: w.AccountID}, EventID: NewID(PrefixBatch),
		EventType: EventBatch, EventCount: len(items), WebhookID: w.ID, Status: DeliveryPending}
	err := s.Transaction(ctx, func(tx *Store) error {
		if err := tx.Create(ctx, &d); err != nil {
			return err
		}
		res := tx.db.WithContext(ctx).Model(&BatchItem{}).
			Where("seq IN ? AND webhook_id = ? AND delivery_id IS NULL", seqs, w.ID).
			Update("delivery_id", d.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(items)) {
			return fmt.Errorf("%w: events of webhook %s were taken into another batch meanwhile", ErrConflict, w.ID)
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// UnattemptedBatch returns a webhook's batch delivery that was collected
// but never attempted nor handed on (its collector died before it could
// say so), or ErrNotFound.
func (s *Store) UnattemptedBatch(ctx context.Context, webhookID string) (*Delivery, error) {
	var d Delivery
	err := s.db.WithContext(ctx).Where("webhook_id = ? AND event_type = ? AND status = ? AND attempts = 0 AND next_attempt_at IS NULL AND reserved_slot_at IS NULL",
		webhookID, EventBatch, DeliveryPending).Order("id").Take(&d).Error
	if err != nil {
		return nil, translate(err)
	}
	return &d, nil
}

// BatchEventIDs lists the events of a batch delivery in their order.
func (s *Store) BatchEventIDs(ctx context.Context, deliveryID string) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&BatchItem{}).Where("delivery_id = ?", deliveryID).
		Order("seq").Pluck("event_id", &ids).Error
	return ids, err
}

// EventsByID loads the events with the given ids, in no particular order;
// ids not found are left out.
func (s *Store) EventsByID(ctx context.Context, ids []string) ([]Event, error) {
	var events []Event
	for start := 0; start < len(ids); start += 500 {
		var page []Event
		if err := s.db.WithContext(ctx).Where("id IN ?", ids[start:min(start+500, len(ids))]).Find(&page).Error; err != nil {
			return nil, translate(err)
		}
		events = append(events, page...)
	}
	return events, nil
}

// WebhooksBatchingEvent lists the webhooks that took the event into their
// batches (or have it waiting): its own delivery workflow leaves them out.
func (s *Store) WebhooksBatchingEvent(ctx context.Context, eventID string) (map[string]bool, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&BatchItem{}).Where("event_id = ?", eventID).Pluck("webhook_id", &ids).Error
	batching := make(map[string]bool, len(ids))
	for _, id := range ids {
		batching[id] = true
	}
	return batching, err
}

// WebhooksWithWaitingBatches lists up to limit webhooks that have an
// event waiting for a batch since before: each should have its batching
// workflow. For the reconciler.
func (s *Store) WebhooksWithWaitingBatches(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&BatchItem{}).Distinct("webhook_id").
		Where("delivery_id IS NULL AND created_at < ?", before).
		Limit(limit).Pluck("webhook_id", &ids).Error
	return ids, err
}

// OverdueBatches lists pending batch deliveries, at most limit, whose next
// attempt was due before dueBefore and has not been made, the longest
// overdue first: their retry workflow (named after the batch) was lost or
// ended. A batch has no event row of its own, so the reconciler's look at
// unsettled events never finds it.
func (s *Store) OverdueBatches(ctx context.Context, dueBefore time.Time, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.WithContext(ctx).
		Where("status = ? AND event_type = ? AND next_attempt_at < ?", DeliveryPending, EventBatch, dueBefore).
		Order("next_attempt_at").Limit(limit).Find(&ds).Error
	return ds, translate(err)
}

// DropWaitingBatchItems removes a deleted webhook's waiting items.
func (s *Store) DropWaitingBatchItems(ctx context.Context, webhookID string) error {
	return s.db.WithContext(ctx).Where("webhook_id = ? AND delivery_id IS NULL", webhookID).Delete(&BatchItem{}).Error
}

// SaveEventPayloads is SaveEventPayload for many events in one
// transaction (one commit for a batch's events); it returns the ids of
// those whose payload another run stored first.
func (s *Store) SaveEventPayloads(ctx context.Context, events []*Event) (storedBefore []string, err error) {
	err = s.Transaction(ctx, func(tx *Store) error {
		storedBefore = storedBefore[:0]
		for _, e := range events {
			stored, err := tx.SaveEventPayload(ctx, e)
			if err != nil {
				return err
			}
			if !stored {
				storedBefore = append(storedBefore, e.ID)
			}
		}
		return nil
	})
	return storedBefore, err
}
