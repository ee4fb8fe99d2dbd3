package models

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// WebhooksMatching returns the webhooks an event goes to, in id order:
// active ones, and paused or disabled ones, whose deliveries are held. The
// query narrows by the indexed status, the event's scope and the subscribed
// type, and leaves out the webhook an operational event is about (never its
// receiver, so two failing webhooks cannot feed each other); Webhook.Matches has the final word (activation time, exact type).
// Activation time is left to Matches because SQLite stores times as text
// and would compare them as strings.
func (s *Store) WebhooksMatching(ctx context.Context, e *Event) ([]Webhook, error) {
	q := s.db.WithContext(ctx).
		Where("account_id = ? AND status IN ?", e.AccountID, statusesTakingDeliveries).
		Where("events LIKE ?", `%"`+string(e.Type)+`"%`)
	q = whereInWebhookScope(q, "database_id", e.DatabaseID)
	q = whereInWebhookScope(q, "collection_id", e.CollectionID)
	if e.SubjectWebhookID != nil {
		q = q.Where("id <> ?", *e.SubjectWebhookID)
	}
	var candidates []Webhook
	if err := q.Order("id").Find(&candidates).Error; err != nil {
		return nil, err
	}
	return MatchingWebhooks(candidates, e), nil
}

// whereInWebhookScope keeps webhooks that are unscoped on column or scoped to id.
func whereInWebhookScope(q *gorm.DB, column string, id *string) *gorm.DB {
	if id == nil {
		return q.Where(column + " IS NULL")
	}
	return q.Where("("+column+" IS NULL OR "+column+" = ?)", *id)
}

// EnsureDeliveries returns the event's deliveries, in id order, creating
// one for each listed webhook that has none yet: pending, or held when the
// webhook holds its deliveries. Rows from earlier calls are returned as
// they are, so a retried caller never starts over.
func (s *Store) EnsureDeliveries(ctx context.Context, e *Event, webhooks []Webhook) ([]Delivery, error) {
	eventID := e.ID
	var deliveries []Delivery
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&deliveries).Error; err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(deliveries))
	for _, d := range deliveries {
		have[d.WebhookID] = true
	}
	var missing []Delivery
	for _, w := range webhooks {
		if have[w.ID] {
			continue
		}
		status := DeliveryPending
		if w.Holds() {
			status = DeliveryHeld
		}
		missing = append(missing, Delivery{ID: NewID(PrefixDelivery), Owned: Owned{AccountID: e.AccountID}, EventID: eventID, EventType: e.Type, EventCount: 1, WebhookID: w.ID, Status: status})
	}
	if len(missing) == 0 {
		return deliveries, nil
	}
	// One INSERT for all of them, so a fan-out to many webhooks costs
	// about what one does; a concurrent caller's rows make it fail, and
	// then each is created, or taken, on its own.
	if err := s.Create(ctx, &missing); err == nil {
		return append(deliveries, missing...), nil
	} else if !errors.Is(err, ErrConflict) {
		return nil, err
	}
	for _, d := range missing {
		webhookID := d.WebhookID
		if have[webhookID] {
			continue
		}
		d.ID = NewID(PrefixDelivery)
		err := s.Create(ctx, &d)
		if errors.Is(err, ErrConflict) {
			// A concurrent caller created it first; take theirs.
			err = translate(s.db.WithContext(ctx).Where("event_id = ? AND webhook_id = ?", eventID, webhookID).Take(&d).Error)
		}
		if err != nil {
			return nil, err
		}
		have[webhookID] = true
		deliveries = append(deliveries, d)
	}
	return deliveries, nil
}

// FailPendingDelivery marks a delivery failed, with the reason, unless it
// already finished; it reports whether it did. A finished delivery is never
// overwritten.
func (s *Store) FailPendingDelivery(ctx context.Context, id, reason string) (bool, error) {
	now := Now()
	reason = FitText(reason, 1024)
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND status = ?", id, DeliveryPending).
		Updates(map[string]any{"status": DeliveryFailed, "completed_at": now, "updated_at": now, "failure_reason": reason, "next_attempt_at": nil})
	return res.RowsAffected > 0, res.Error
}

// HoldDelivery holds a pending delivery whose webhook is paused or
// disabled: no attempt is due until the webhook is active again. It
// reports whether it did; a delivery no longer pending is left as it is.
func (s *Store) HoldDelivery(ctx context.Context, id string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND status = ?", id, DeliveryPending).
		Updates(map[string]any{"status": DeliveryHeld, "next_attempt_at": nil, "updated_at": Now()})
	return res.RowsAffected > 0, res.Error
}

// SaveEventPayload stores the event's rendered payload with the scope and
// audience ids found while rendering it, unless a payload is stored already
// (it is rendered once). It reports whether it stored this one.
func (s *Store) SaveEventPayload(ctx context.Context, e *Event) (bool, error) {
	res := s.db.WithContext(ctx).Model(e).
		Where("payload IS NULL OR payload IN ('', 'null', '{}')").
		Select("payload", "database_id", "collection_id", "profile_id", "subprofile_id").
		Updates(e)
	return res.RowsAffected > 0, res.Error
}

// ReopenDelivery makes a finished delivery pending again, due now, to be
// delivered once more, if its status is one of from; it reports whether it
// did. Its event is unsettled in the same transaction, so the reconciler
// delivers it should whatever was to deliver it be lost; and marked as
// just looked at, so the reconciler leaves it alone meanwhile.
func (s *Store) ReopenDelivery(ctx context.Context, d *Delivery, from ...DeliveryStatus) (bool, error) {
	reopened := false
	err := s.Transaction(ctx, func(tx *Store) error {
		var err error
		reopened, err = tx.reopenDelivery(ctx, d, from)
		return err
	})
	return reopened, err
}

func (s *Store) reopenDelivery(ctx context.Context, d *Delivery, from []DeliveryStatus) (bool, error) {
	now := Now()
	res := s.db.WithContext(ctx).Model(&Delivery{}).
		Where("id = ? AND status IN ?", d.ID, from).
		Updates(map[string]any{"status": DeliveryPending, "completed_at": nil, "failure_reason": "", "next_attempt_at": now, "updated_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	err := s.db.WithContext(ctx).Model(&Event{}).Where("id = ?", d.EventID).
		Updates(map[string]any{"settled_at": nil, "reconciled_at": now}).Error
	return err == nil, err
}
