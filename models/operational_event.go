package models

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// OperationalEvent is something that happened to a webhook itself, which
// hookflow tells the account's other webhooks about: it was disabled, it
// recovered, or one of its deliveries ran out of retries. It is stored and
// delivered as any other event (Event), with the fields below, never to
// the webhook it is about.
type OperationalEvent struct {
	AccountID string    `json:"account_id"`
	Type      EventType `json:"type"`
	// WebhookID is the webhook the event is about.
	WebhookID string `json:"webhook_id"`
	// DatabaseID and CollectionID are that webhook's scope: webhooks limited
	// to a database or collection hear about the webhooks in it, unscoped
	// ones about all of the account's.
	DatabaseID   *string `json:"database_id,omitempty"`
	CollectionID *string `json:"collection_id,omitempty"`
	// Key names this emission; it is stored as the event's client id, so
	// emitting the same one again (a retried activity) stores nothing new.
	Key        string    `json:"key"`
	OccurredAt time.Time `json:"occurred_at"`
	// Data is the payload's "data": what receivers learn about it.
	Data Fields `json:"data"`
}

// OperationalKeyPrefix starts the client ids of operational events; the
// API refuses it in the ids clients give their events, so no submitted
// event can take an operational event's place.
const OperationalKeyPrefix = "hookflow:"

// WebhookDisabledEvent says hookflow disabled w at at, and why. Pass the
// same at on every retry (the time of the transition, not the time of the
// call): it tells this disable from a later one.
func WebhookDisabledEvent(w *Webhook, reason string, at time.Time) OperationalEvent {
	at = at.UTC()
	return operationalEvent(w, EventWebhookDisabled, at.Format(time.RFC3339Nano), at, Fields{
		"webhook_id":  w.ID,
		"url":         w.URL,
		"reason":      reason,
		"disabled_at": at.Format(time.RFC3339Nano),
	})
}

// WebhookRecoveredEvent says w became active again at at and released
// that many held deliveries. Pass the same at on every retry.
func WebhookRecoveredEvent(w *Webhook, released int, at time.Time) OperationalEvent {
	at = at.UTC()
	return operationalEvent(w, EventWebhookRecovered, at.Format(time.RFC3339Nano), at, Fields{
		"webhook_id":   w.ID,
		"url":          w.URL,
		"released":     released,
		"recovered_at": at.Format(time.RFC3339Nano),
	})
}

// DeliveryExhaustedEvent says d, a delivery to w, failed because its retry
// window ran out. d is the failed delivery as stored (its CompletedAt is
// when it failed), last its last attempt (nil if it had none). A delivery
// resent and failing again is another emission: its attempts differ.
func DeliveryExhaustedEvent(d *Delivery, w *Webhook, last *DeliveryAttempt) OperationalEvent {
	at := Now()
	if d.CompletedAt != nil {
		at = d.CompletedAt.UTC()
	}
	data := Fields{
		"delivery_id": d.ID,
		"event_id":    d.EventID,
		"event_type":  string(d.EventType),
		"webhook_id":  d.WebhookID,
		"attempts":    d.Attempts,
		"reason":      d.FailureReason,
		"failed_at":   at.Format(time.RFC3339Nano),
		"last_result": lastResult(last),
	}
	if w != nil {
		data["url"] = w.URL
	} else {
		w = &Webhook{ID: d.WebhookID, Owned: d.Owned} // deleted since: no scope left
	}
	return operationalEvent(w, EventDeliveryExhausted, d.ID+":"+strconv.Itoa(d.Attempts), at, data)
}

// lastResult is what the last attempt got: the receiver's status (0 for
// none), the error that kept an answer from coming, and when it started.
func lastResult(att *DeliveryAttempt) Fields {
	if att == nil {
		return nil
	}
	return Fields{
		"attempt":          att.Number,
		"status_code":      att.StatusCode,
		"error":            att.Error,
		"latency_ms":       att.LatencyMillis,
		"started_at":       att.StartedAt.UTC().Format(time.RFC3339Nano),
		"response_excerpt": att.ResponseExcerpt,
	}
}

func operationalEvent(w *Webhook, t EventType, emission string, at time.Time, data Fields) OperationalEvent {
	return OperationalEvent{
		AccountID: w.AccountID, Type: t, WebhookID: w.ID,
		DatabaseID: w.DatabaseID, CollectionID: w.CollectionID,
		Key:        OperationalKeyPrefix + string(t) + ":" + w.ID + ":" + emission,
		OccurredAt: at, Data: data,
	}
}

// event is the Event that carries o.
func (o OperationalEvent) event() *Event {
	key, subject := o.Key, o.WebhookID
	return &Event{
		ID:               NewID(PrefixEvent),
		AccountID:        o.AccountID,
		ClientID:         &key,
		Type:             o.Type,
		OccurredAt:       o.OccurredAt.UTC().Truncate(time.Millisecond),
		ReceivedAt:       Now(),
		DatabaseID:       o.DatabaseID,
		CollectionID:     o.CollectionID,
		Data:             o.Data,
		SubjectWebhookID: &subject,
	}
}

// StoreOperationalEvent stores the event that carries o, unless an event
// with its key is stored already: then it returns that one, unchanged.
func (s *Store) StoreOperationalEvent(ctx context.Context, o OperationalEvent) (*Event, error) {
	if existing, err := s.EventByClientID(ctx, o.AccountID, o.Key); !errors.Is(err, ErrNotFound) {
		return existing, err
	}
	e := o.event()
	err := s.CreateEvent(ctx, e)
	if errors.Is(err, ErrConflict) { // a concurrent emission stored it first
		return s.EventByClientID(ctx, o.AccountID, o.Key)
	}
	return e, err
}

// AnyWebhookSubscribes reports whether any of the account's webhooks,
// whatever its status, subscribes to events of type t. (Webhooks keep
// their types as a JSON list of strings, so the quoted type matches only
// itself.)
func (s *Store) AnyWebhookSubscribes(ctx context.Context, accountID string, t EventType) (bool, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Webhook{}).
		Where("account_id = ? AND events LIKE ?", accountID, `%"`+string(t)+`"%`).
		Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, err
}
