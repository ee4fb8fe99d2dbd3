package models

import (
	"context"
	"time"
)

// HeldDeliveries returns up to limit of a webhook's held deliveries in the
// order their events happened (occurred_at, then the event's id), the
// order its drain delivers them in; a batch by when it was collected. A
// delivery whose event is gone comes first: its attempt fails it at once.
func (s *Store) HeldDeliveries(ctx context.Context, webhookID string, limit int) ([]Delivery, error) {
	var ds []Delivery
	err := s.db.WithContext(ctx).Model(&Delivery{}).Select("deliveries.*").
		Joins("LEFT JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.webhook_id = ? AND deliveries.status = ?", webhookID, DeliveryHeld).
		// A batch has no event row: it takes its place by when it was collected.
		Order("CASE WHEN deliveries.event_type = '" + string(EventBatch) + "' THEN deliveries.created_at ELSE events.occurred_at END").
		Order("deliveries.event_id").
		Limit(limit).Find(&ds).Error
	return ds, err
}

// CountHeldDeliveries counts a webhook's held deliveries.
func (s *Store) CountHeldDeliveries(ctx context.Context, webhookID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("webhook_id = ? AND status = ?", webhookID, DeliveryHeld).Count(&n).Error
	return n, err
}

// ActiveWebhooksHoldingSince lists, up to limit, the active webhooks that
// still have a delivery held since before: their drain should have
// released it by now. For the reconciler.
func (s *Store) ActiveWebhooksHoldingSince(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Delivery{}).Distinct("deliveries.webhook_id").
		Joins("JOIN webhooks ON webhooks.id = deliveries.webhook_id").
		Where("deliveries.status = ? AND deliveries.updated_at < ? AND webhooks.status = ?", DeliveryHeld, before, WebhookActive).
		Limit(limit).Pluck("deliveries.webhook_id", &ids).Error
	return ids, err
}

// RecordProbe keeps when hookflow last probed a webhook and what its
// receiver answered. It is not a move in the life cycle: only those two
// columns are written.
func (s *Store) RecordProbe(ctx context.Context, webhookID string, at time.Time, result string) error {
	return s.db.WithContext(ctx).Model(&Webhook{}).Where("id = ?", webhookID).
		UpdateColumns(map[string]any{"last_probe_at": at, "last_probe_result": FitText(result, 255)}).Error
}

// WebhooksDisabledByHookflow lists up to limit webhooks hookflow disabled,
// each of which should have a probe running. For the reconciler.
func (s *Store) WebhooksDisabledByHookflow(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Webhook{}).
		Where("status = ? AND disabled_by = ?", WebhookDisabled, ActorHookflow).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	return ids, err
}
