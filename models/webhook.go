package models

import (
	"errors"
	"slices"
	"time"
)

// WebhookStatus is where a webhook stands in its life cycle.
type WebhookStatus string

const (
	// WebhookUnverified is a new webhook whose owner has not proven control of its URL yet.
	WebhookUnverified WebhookStatus = "unverified"
	// WebhookActive receives events.
	WebhookActive WebhookStatus = "active"
	// WebhookPaused receives nothing until resumed.
	WebhookPaused WebhookStatus = "paused"
	// WebhookDisabled was switched off, by its owner or by hookflow
	// (DisabledBy says which).
	WebhookDisabled WebhookStatus = "disabled"
	// WebhookVerificationFailed never proved ownership within the verification window.
	WebhookVerificationFailed WebhookStatus = "verification_failed"
)

// Valid reports whether s is a known status.
func (s WebhookStatus) Valid() bool {
	switch s {
	case WebhookUnverified, WebhookActive, WebhookPaused, WebhookDisabled, WebhookVerificationFailed:
		return true
	}
	return false
}

// PayloadFormat is how a webhook wants its requests encoded.
type PayloadFormat string

const (
	FormatJSON PayloadFormat = "json"
	// FormatForm is Copernica-style application/x-www-form-urlencoded.
	FormatForm PayloadFormat = "form"
)

// Webhook is a customer's callback URL and the events it wants.
type Webhook struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Versioned
	URL          string        `gorm:"size:2048;not null" json:"url"`
	Events       []EventType   `gorm:"serializer:json;type:text" json:"events"`
	DatabaseID   *string       `gorm:"size:40;index" json:"database_id"`
	CollectionID *string       `gorm:"size:40;index" json:"collection_id"`
	Format       PayloadFormat `gorm:"size:8;not null" json:"format"`
	Description  string        `gorm:"size:1024;not null;default:''" json:"description"`
	Status       WebhookStatus `gorm:"size:24;not null;index" json:"status"`
	// ActiveSince is when the webhook was first activated for its current
	// URL; events that happened before it are never delivered to it. Pause
	// and disable keep it: the events since are held for the webhook.
	ActiveSince *time.Time `json:"active_since"`
	// VerifiedAt is when ownership of the current URL was last proven.
	VerifiedAt *time.Time `json:"verified_at"`
	// DisabledBy and DisabledReason say who disabled the webhook and why,
	// while it is disabled.
	DisabledBy     *WebhookActor `gorm:"size:16" json:"disabled_by"`
	DisabledReason *string       `gorm:"size:1024" json:"disabled_reason"`
	// MaxRPS limits the requests per second sent to the webhook, across
	// all workers (nil: unlimited); MaxInFlight limits the requests to it
	// under way at once. See WebhookFlow.
	MaxRPS      *float64 `json:"max_rps"`
	MaxInFlight int      `gorm:"not null;default:10" json:"max_in_flight"`
	// Batch, when set, delivers the webhook's events in batches, one
	// signed request per batch (see WebhookBatch); nil delivers each event
	// on its own.
	Batch *WebhookBatch `gorm:"serializer:json;type:text" json:"batch"`
	// FailingSince is when the first failed attempt since the last
	// successful one was made; nil while the receiver answers. Recorded
	// with each attempt (Store.RecordAttempt); hookflow disables a webhook
	// failing for longer than its DisableAfter setting.
	FailingSince *time.Time `json:"failing_since"`
	// LastProbeAt and LastProbeResult say when hookflow last probed the
	// webhook while it had disabled it, and what the receiver answered.
	LastProbeAt     *time.Time `json:"last_probe_at"`
	LastProbeResult *string    `gorm:"size:255" json:"last_probe_result"`
	// Secret is the Standard Webhooks signing secret (whsec_…). It leaves
	// the API only in the create response.
	Secret string `gorm:"size:128;not null" json:"-"`
	// PreviousSecret is the secret before the last rotation: requests are
	// signed with it too, after the new one, until PreviousSecretExpiresAt.
	PreviousSecret          string     `gorm:"size:128;not null;default:''" json:"-"`
	PreviousSecretExpiresAt *time.Time `json:"-"`
	// Headers are sent with every request to the webhook (never with the
	// verification file's fetch); the API shows them masked.
	Headers WebhookHeaders `gorm:"serializer:json;type:text" json:"-"`
	// VerificationToken is both the random part of the verification file's
	// name and, separately, its content.
	VerificationFile    string    `gorm:"size:128;not null" json:"-"`
	VerificationContent string    `gorm:"size:128;not null" json:"-"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

// InFlightLimit is how many requests to the webhook may be under way at once.
func (w *Webhook) InFlightLimit() int {
	if w.MaxInFlight <= 0 {
		return DefaultMaxInFlight
	}
	return w.MaxInFlight
}

// ErrWebhookUnverified refuses to send anything to a webhook whose owner
// has not proven control of its URL.
var ErrWebhookUnverified = errors.New("the webhook's URL is not verified; verify it first: nothing is sent to an unproven server")

// Verified reports whether the owner proved control of the webhook's
// current URL: only then may anything be sent to it. Paused and disabled
// webhooks were verified; a new URL is not until it is proven.
func (w *Webhook) Verified() bool {
	return w.Status != WebhookUnverified && w.Status != WebhookVerificationFailed
}

// DisabledByHookflow reports whether hookflow, not the owner, disabled the
// webhook: only such a webhook is probed and recovers on its own.
func (w *Webhook) DisabledByHookflow() bool {
	return w.Status == WebhookDisabled && w.DisabledBy != nil && *w.DisabledBy == ActorHookflow
}

// TestEventType is the type of the sample event a test sends when none is
// asked for: the first the webhook subscribes to.
func (w *Webhook) TestEventType() EventType {
	if len(w.Events) == 0 {
		return EventTypes[0]
	}
	return w.Events[0]
}

// SigningSecrets are the secrets a request sent at at is signed with: the
// current one, and during a rotation's grace period the previous one after it.
func (w *Webhook) SigningSecrets(at time.Time) []string {
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && at.Before(*w.PreviousSecretExpiresAt) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

// Subscribes reports whether the webhook wants events of type t.
func (w *Webhook) Subscribes(t EventType) bool {
	return slices.Contains(w.Events, t)
}

// Takes reports whether the webhook's status lets it have deliveries: it
// is active, or paused or disabled (its deliveries are held until it is
// active again).
func (w *Webhook) Takes() bool {
	return slices.Contains(statusesTakingDeliveries, w.Status)
}

var statusesTakingDeliveries = []WebhookStatus{WebhookActive, WebhookPaused, WebhookDisabled}

// Holds reports whether deliveries to the webhook are held, unsent: it is
// verified but paused or disabled.
func (w *Webhook) Holds() bool { return w.Takes() && w.Status != WebhookActive }

// Matches reports whether an event belongs to this webhook: the type is
// subscribed, the webhook is verified (active, or paused or disabled, for
// which the delivery is held) and had been activated for its URL when the
// event happened, the event lies in the webhook's database or collection
// scope, and it is not an operational event about this very webhook.
func (w *Webhook) Matches(e *Event) bool {
	if !w.Subscribes(e.Type) || !w.Takes() || w.ActiveSince == nil || e.OccurredAt.Before(*w.ActiveSince) {
		return false
	}
	if e.SubjectWebhookID != nil && *e.SubjectWebhookID == w.ID {
		return false // an operational event is never about its own receiver
	}
	if w.DatabaseID != nil && (e.DatabaseID == nil || *e.DatabaseID != *w.DatabaseID) {
		return false
	}
	if w.CollectionID != nil && (e.CollectionID == nil || *e.CollectionID != *w.CollectionID) {
		return false
	}
	return true
}
