package models

import (
	"context"
	"time"
)

// PruneBatch is what one batch of retention deleted, and where the next
// one starts.
type PruneBatch struct {
	// Deleted counts the rows deleted from the table pruned.
	Deleted int64
	// Attempts counts the attempts deleted with their deliveries.
	Attempts int64
	// Next is the id after which the next batch looks; "" when no older
	// row is left to look at.
	Next string
}

// PruneDeliveries deletes, in one short transaction, finished deliveries
// created before cutoff with their attempts: at most limit of them, the
// oldest with an id after after ("" for the first batch). A pending
// delivery is kept, whatever its age.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time, after string, limit int) (PruneBatch, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id > ? AND id < ? AND status <> ?", after, FirstIDAt(PrefixDelivery, cutoff), DeliveryPending).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return PruneBatch{}, err
	}
	b := PruneBatch{Next: ids[len(ids)-1]}
	err = s.Transaction(ctx, func(tx *Store) error {
		// Still finished: a delivery made pending again meanwhile stays.
		res := tx.db.WithContext(ctx).Where("id IN ? AND status <> ?", ids, DeliveryPending).Delete(&Delivery{})
		if res.Error != nil {
			return res.Error
		}
		b.Deleted = res.RowsAffected
		kept := tx.db.WithContext(ctx).Model(&Delivery{}).Select("1").Where("deliveries.id = delivery_attempts.delivery_id")
		res = tx.db.WithContext(ctx).Where("delivery_id IN ? AND NOT EXISTS (?)", ids, kept).Delete(&DeliveryAttempt{})
		b.Attempts = res.RowsAffected
		if res.Error != nil {
			return res.Error
		}
		// A pruned batch's items go with it; its events are then free to go.
		keptBatch := tx.db.WithContext(ctx).Model(&Delivery{}).Select("1").Where("deliveries.id = batch_items.delivery_id")
		return tx.db.WithContext(ctx).Where("delivery_id IN ? AND NOT EXISTS (?)", ids, keptBatch).Delete(&BatchItem{}).Error
	})
	if err != nil {
		return PruneBatch{}, err
	}
	return b, nil
}

// PruneEvents deletes, in one short transaction, settled events received
// before cutoff that no delivery and no batch item refers to any more
// (prune deliveries first): at most limit of them, the oldest with an id after after. An
// event not settled (a delivery pending, its workflow not started yet) is
// kept, whatever its age.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time, after string, limit int) (PruneBatch, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Event{}).
		Where("id > ? AND id < ? AND settled_at IS NOT NULL", after, FirstIDAt(PrefixEvent, cutoff)).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return PruneBatch{}, err
	}
	referred := s.db.WithContext(ctx).Model(&Delivery{}).Select("1").Where("deliveries.event_id = events.id")
	// A batched event waits in its webhook's outbox, or is in a batch
	// whose delivery is kept: it stays as long as that.
	batched := s.db.WithContext(ctx).Model(&BatchItem{}).Select("1").Where("batch_items.event_id = events.id")
	res := s.db.WithContext(ctx).Where("id IN ? AND settled_at IS NOT NULL AND NOT EXISTS (?) AND NOT EXISTS (?)", ids, referred, batched).Delete(&Event{})
	if res.Error != nil {
		return PruneBatch{}, res.Error
	}
	return PruneBatch{Deleted: res.RowsAffected, Next: ids[len(ids)-1]}, nil
}
