package models

import (
	"slices"
	"time"
)

// DeliveryStatus is the outcome of sending one event to one webhook.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
	// DeliveryHeld waits, unsent, for its paused or disabled webhook to be
	// active again; it is not failed, and its retry window has not begun.
	DeliveryHeld DeliveryStatus = "held"
)

// DeliveryStatuses are every delivery status, in the order the API lists them.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliveryHeld}

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	return slices.Contains(DeliveryStatuses, s)
}

// Delivery is one event on its way to one webhook. Its id is the
// webhook-id header, the same on every retry, so receivers can deduplicate.
type Delivery struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	EventID   string `gorm:"size:40;not null;uniqueIndex:idx_deliveries_event_webhook,priority:1" json:"event_id"`
	WebhookID string `gorm:"size:40;not null;uniqueIndex:idx_deliveries_event_webhook,priority:2;index:idx_deliveries_webhook_created,priority:1" json:"webhook_id"`
	// EventType is the event's, kept here so the delivery log filters on it without a join.
	EventType EventType `gorm:"size:32;not null;default:''" json:"event_type"`
	// EventCount is how many events the delivery carries: 1, or the size
	// of a batch (EventType "batch"; EventID then names the batch).
	EventCount int            `gorm:"not null;default:1" json:"event_count"`
	Status     DeliveryStatus `gorm:"size:16;not null;index:idx_deliveries_status" json:"status"`
	Attempts   int            `gorm:"not null;default:0" json:"attempts"`
	// LastAttemptAt is when the latest attempt started.
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	// NextAttemptAt is when the next attempt is due, while pending and
	// after a failed attempt; the running workflow has the final word.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	// ReservedSlotAt is the request slot of its webhook's rate limit that
	// a throttled delivery reserved: its next attempt goes then, using it,
	// rather than reserving another. Cleared by the attempt.
	ReservedSlotAt *time.Time `json:"-"`
	CreatedAt      time.Time  `gorm:"index:idx_deliveries_webhook_created,priority:2" json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	// FailureReason says why a failed delivery gave up.
	FailureReason string `gorm:"size:1024;not null;default:''" json:"failure_reason,omitempty"`
}

// DeliveryAttempt records one HTTP request of a delivery.
type DeliveryAttempt struct {
	ID              string    `gorm:"primaryKey;size:40" json:"id"`
	DeliveryID      string    `gorm:"size:40;not null;uniqueIndex:idx_attempts_delivery_number,priority:1" json:"delivery_id"`
	Number          int       `gorm:"not null;uniqueIndex:idx_attempts_delivery_number,priority:2" json:"number"`
	StatusCode      int       `gorm:"not null;default:0" json:"status_code"`
	LatencyMillis   int64     `gorm:"not null;default:0" json:"latency_ms"`
	ResponseExcerpt string    `gorm:"type:text" json:"response_excerpt"`
	Error           string    `gorm:"size:1024;not null;default:''" json:"error"`
	StartedAt       time.Time `gorm:"not null" json:"started_at"`
}

// DeliverySchedule is where a pending delivery stands in the workflow
// retrying it: when its next attempt is due, how many attempts its retry
// window still holds on the backoff schedule (at least), and when the
// window ends.
type DeliverySchedule struct {
	NextAttemptAt     time.Time `json:"next_attempt_at"`
	AttemptsLeft      int       `json:"attempts_left"`
	RetryWindowEndsAt time.Time `json:"retry_window_ends_at"`
}
