package models

import "time"

// DefaultAccountID is the account every install starts with. The operator
// token acts in it unless told otherwise, so a single-tenant install never
// has to know accounts exist.
const DefaultAccountID = "acc_default"

// Account is one customer of the platform. It owns its databases (with
// their collections, profiles, subprofiles and messages), events, webhooks
// and deliveries; nothing of it is visible from another account.
type Account struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Versioned
	Name      string    `gorm:"size:255;not null" json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Owned is embedded by every model that belongs to an account. The column
// is not in the API: the caller's credentials say which account they act in.
type Owned struct {
	AccountID string `gorm:"size:40;not null;index" json:"-"`
}

// Owner returns the id of the account the row belongs to.
func (o Owned) Owner() string { return o.AccountID }
