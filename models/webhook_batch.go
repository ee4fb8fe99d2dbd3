package models

import "time"

// Limits of a webhook's batch settings, and the defaults of those left out.
const (
	MinBatchMaxEvents = 1
	MaxBatchMaxEvents = 1000
	MaxBatchMaxWaitMS = 60000

	DefaultBatchMaxEvents = 100
	DefaultBatchMaxWaitMS = 1000
)

// EventBatch is the event type of a batch delivery: one request carrying
// many events to a batched webhook ({"type": "batch", "events": [...]}).
// It is never an event's own type, so no webhook subscribes to it.
const EventBatch EventType = "batch"

// PrefixBatch names a batch: the event_id of a batch delivery, sent in the
// Hookflow-Event-Id header of its requests.
const PrefixBatch = "bat_"

// WebhookBatch asks for a webhook's events to be delivered in batches: a
// batch goes once it holds MaxEvents events, or MaxWaitMS after its oldest
// event was stored, whichever comes first.
type WebhookBatch struct {
	MaxEvents int `json:"max_events"`
	MaxWaitMS int `json:"max_wait_ms"`
}

// MaxWait is how long the oldest waiting event may wait for more.
func (b WebhookBatch) MaxWait() time.Duration {
	return time.Duration(b.MaxWaitMS) * time.Millisecond
}

// Batched reports whether the webhook's events are delivered in batches.
func (w *Webhook) Batched() bool { return w.Batch != nil }

// BatchItem is one event waiting for, or taken into, a batch of one
// webhook: the outbox of batched delivery. It is written with the event,
// in the same transaction, so an event a batched webhook wants is never
// lost and starts no workflow of its own. DeliveryID is nil while it
// waits; once collected it names the batch delivery, and the items of a
// delivery in Seq order are the events of its body.
type BatchItem struct {
	// Seq orders the items as their events were stored (in the order of
	// the request that stored them).
	Seq        uint64    `gorm:"primaryKey;autoIncrement" json:"-"`
	AccountID  string    `gorm:"size:40;not null" json:"-"`
	WebhookID  string    `gorm:"size:40;not null;index:idx_batch_items_waiting,priority:1;uniqueIndex:idx_batch_items_event_webhook,priority:2" json:"webhook_id"`
	EventID    string    `gorm:"size:40;not null;uniqueIndex:idx_batch_items_event_webhook,priority:1" json:"event_id"`
	DeliveryID *string   `gorm:"size:40;index:idx_batch_items_waiting,priority:2;index:idx_batch_items_delivery" json:"delivery_id"`
	CreatedAt  time.Time `gorm:"not null" json:"created_at"`
}

// IsBatch reports whether the delivery carries a batch of events.
func (d *Delivery) IsBatch() bool { return d.EventType == EventBatch }
