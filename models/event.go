package models

import "time"

// EventType names what happened. Webhooks subscribe to a subset of them.
type EventType string

const (
	EventDelivery      EventType = "delivery"
	EventOpen          EventType = "open"
	EventClick         EventType = "click"
	EventBounce        EventType = "bounce"
	EventFailure       EventType = "failure"
	EventUnsubscribe   EventType = "unsubscribe"
	EventComplaint     EventType = "complaint"
	EventProfileCreate EventType = "profile.create"
	EventProfileUpdate EventType = "profile.update"
	EventProfileDelete EventType = "profile.delete"

	// Operational events: hookflow emits them about webhooks themselves
	// (see OperationalEvent); nobody else may submit them.
	EventWebhookDisabled   EventType = "webhook.disabled"
	EventWebhookRecovered  EventType = "webhook.recovered"
	EventDeliveryExhausted EventType = "delivery.exhausted"
)

// EventTypes lists every event type in the order the docs present them.
var EventTypes = []EventType{
	EventDelivery, EventOpen, EventClick, EventBounce, EventFailure,
	EventUnsubscribe, EventComplaint, EventProfileCreate, EventProfileUpdate, EventProfileDelete,
	EventWebhookDisabled, EventWebhookRecovered, EventDeliveryExhausted,
}

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	for _, known := range EventTypes {
		if t == known {
			return true
		}
	}
	return false
}

// IsProfileEvent reports whether t is about audience data rather than a message.
func (t EventType) IsProfileEvent() bool {
	return t == EventProfileCreate || t == EventProfileUpdate || t == EventProfileDelete
}

// IsOperational reports whether t is one of the events hookflow emits
// about webhooks themselves.
func (t EventType) IsOperational() bool {
	return t == EventWebhookDisabled || t == EventWebhookRecovered || t == EventDeliveryExhausted
}

// Event is something that happened and may be delivered to webhooks. It is
// stored before it is acknowledged, so nothing accepted is ever lost.
type Event struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	// AccountID owns the event; a client's own ids are unique per account.
	AccountID    string    `gorm:"size:40;not null;index;uniqueIndex:idx_events_account_client,priority:1" json:"-"`
	ClientID     *string   `gorm:"size:255;uniqueIndex:idx_events_account_client,priority:2" json:"client_id,omitempty"`
	Type         EventType `gorm:"size:32;not null;index" json:"type"`
	OccurredAt   time.Time `gorm:"not null" json:"timestamp"`
	ReceivedAt   time.Time `gorm:"not null" json:"received_at"`
	DatabaseID   *string   `gorm:"size:40;index" json:"database_id,omitempty"`
	CollectionID *string   `gorm:"size:40" json:"collection_id,omitempty"`
	ProfileID    *string   `gorm:"size:40;index" json:"profile_id,omitempty"`
	SubprofileID *string   `gorm:"size:40" json:"subprofile_id,omitempty"`
	MessageID    *string   `gorm:"size:40;index" json:"message_id,omitempty"`
	LinkID       *string   `gorm:"size:40" json:"link_id,omitempty"`
	IP           string    `gorm:"size:64;not null;default:''" json:"ip,omitempty"`
	UserAgent    string    `gorm:"size:1024;not null;default:''" json:"useragent,omitempty"`
	Referer      string    `gorm:"size:2048;not null;default:''" json:"referer,omitempty"`
	URL          string    `gorm:"size:2048;not null;default:''" json:"url,omitempty"`
	// Data holds the type-specific part: bounce envelope/mime, failure code
	// and description, or a profile's fields before and after a change.
	Data Fields `gorm:"type:mediumtext" json:"data,omitempty"`
	// Payload is the enriched body sent to webhooks, rendered once so every
	// retry of every delivery sends the same content.
	Payload Fields `gorm:"type:mediumtext" json:"-"`
	// SubjectWebhookID is the webhook an operational event is about; the
	// event is never delivered to it.
	SubjectWebhookID *string `gorm:"size:40" json:"subject_webhook_id,omitempty"`
	// DispatchedAt is set once a delivery workflow has been started for the
	// event; a sweeper starts the ones a crash or outage left behind.
	DispatchedAt *time.Time `gorm:"index" json:"-"`
	// SettledAt is set once every delivery of the event has its outcome
	// recorded (or the event was skipped as unreadable). An event dispatched
	// long ago and not settled lost its workflow; the reconciler starts it
	// again.
	SettledAt *time.Time `gorm:"index" json:"-"`
	// ReconciledAt is when the reconciler last looked at the unsettled
	// event, so it is not asked about again too soon.
	ReconciledAt *time.Time `json:"-"`

	// WebhookIDs are the webhooks the event matched when it was stored
	// (Matched is then true), in id order: storing it matches it (see
	// matchWebhooks). They are not stored; an event read back has none.
	WebhookIDs []string `gorm:"-" json:"-"`
	Matched    bool     `gorm:"-" json:"-"`
}
