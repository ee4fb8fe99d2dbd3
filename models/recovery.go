package models

import "time"

// RecoveryStatus is where a recovery stands.
type RecoveryStatus string

const (
	// RecoveryRunning is re-delivering, at its pace.
	RecoveryRunning RecoveryStatus = "running"
	// RecoveryCompleted went through every failed delivery of its window.
	RecoveryCompleted RecoveryStatus = "completed"
	// RecoveryCancelled was stopped by its owner.
	RecoveryCancelled RecoveryStatus = "cancelled"
	// RecoveryFailed stopped before the end: Reason says why (its webhook
	// was paused, disabled or deleted, say).
	RecoveryFailed RecoveryStatus = "failed"
)

// Recovery re-delivers the failed deliveries of one webhook in a time
// window, one attempt each, at most MaxRPS a second: for a receiver that
// was down and is back. Deliveries that succeeded are never sent again.
type Recovery struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	WebhookID string `gorm:"size:40;not null;index" json:"webhook_id"`
	// Since and Until bound the window: deliveries made from Since up to,
	// not including, Until.
	Since  time.Time      `gorm:"not null" json:"since"`
	Until  time.Time      `gorm:"not null" json:"until"`
	MaxRPS float64        `gorm:"not null" json:"max_rps"`
	Status RecoveryStatus `gorm:"size:16;not null" json:"status"`
	// Total counts the deliveries to re-deliver: those done and the failed
	// ones still ahead (it shrinks when one of them is resent or delivered
	// meanwhile). Done counts those re-delivered, Succeeded and Failed how
	// their one attempt went.
	Total     int `gorm:"not null;default:0" json:"total"`
	Done      int `gorm:"not null;default:0" json:"done"`
	Succeeded int `gorm:"not null;default:0" json:"succeeded"`
	Failed    int `gorm:"not null;default:0" json:"failed"`
	// Reason says why a failed recovery stopped.
	Reason string `gorm:"size:1024;not null;default:''" json:"reason,omitempty"`
	// LastDeliveryID is the last delivery done, in id order: the recovery
	// goes on after it. InFlightID is the one being re-delivered now: if
	// the worker dies before recording its attempt, the next one makes it.
	LastDeliveryID string    `gorm:"size:40;not null;default:''" json:"-"`
	InFlightID     *string   `gorm:"size:40" json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// CompletedAt is when the recovery ended.
	CompletedAt *time.Time `json:"completed_at"`
}
