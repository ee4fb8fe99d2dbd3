package models

import "time"

// ConsoleSessionKind tells a signed-in session from a one-time login link,
// which is redeemed for a session once.
type ConsoleSessionKind string

const (
	// ConsoleSignedIn is a browser's session behind its cookie.
	ConsoleSignedIn ConsoleSessionKind = "session"
	// ConsoleLoginLink is a one-time login link (hookflow dev prints one).
	ConsoleLoginLink ConsoleSessionKind = "link"
)

// ConsoleSession is a signed-in browser of the web console, or a one-time
// login link. Only the SHA-256 of its random token is stored, so a copy of
// the database signs nobody in.
type ConsoleSession struct {
	// IDHash is the hex SHA-256 of the token in the cookie or link.
	IDHash string             `gorm:"primaryKey;size:64"`
	Kind   ConsoleSessionKind `gorm:"size:16;not null"`
	// AccountID is the account the console acts in; an operator may switch it.
	AccountID string `gorm:"size:40;not null"`
	// Operator is true when signed in with the operator token.
	Operator bool `gorm:"not null;default:false"`
	// APIKeyID is the account key signed in with: revoking it ends the
	// session. Empty for the operator.
	APIKeyID string `gorm:"size:40;not null;default:''"`
	// CSRFToken is bound to the session: every form posts it back.
	CSRFToken string `gorm:"size:64;not null"`
	// Flash is shown once on the next page: a webhook's new signing
	// secret, which the API answers only when it is made.
	Flash     string    `gorm:"type:text"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time
}
