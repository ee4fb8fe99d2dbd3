package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateAccounts makes an install multi-tenant: the accounts and API key
// tables, the default account, and an account_id on every owned table.
// Rows from before belong to the default account.
var migrateAccounts = &gormigrate.Migration{
	ID: "202612011000_accounts",
	Migrate: func(tx *gorm.DB) error {
		if err := tx.Migrator().CreateTable(&accountV1{}, &apiKeyV1{}); err != nil {
			return err
		}
		owned := []any{
			&ownedV1[databasesTable]{}, &ownedV1[collectionsTable]{}, &ownedV1[profilesTable]{},
			&ownedV1[subprofilesTable]{}, &ownedV1[messagesTable]{}, &ownedV1[eventsTable]{},
			&ownedV1[webhooksTable]{}, &ownedV1[deliveriesTable]{},
		}
		for _, table := range owned {
			if err := tx.Migrator().AddColumn(table, "AccountID"); err != nil {
				return err
			}
			if err := tx.Migrator().CreateIndex(table, "AccountID"); err != nil {
				return err
			}
		}
		// A client's own event ids were unique across the install; now
		// each account has its own.
		if err := tx.Migrator().DropIndex(&eventClientV1{}, "idx_events_client_id"); err != nil {
			return err
		}
		if err := tx.Migrator().CreateIndex(&eventClientV1{}, "idx_events_account_client"); err != nil {
			return err
		}
		return createDefaultAccount(tx)
	},
}

// createDefaultAccount adds the account the operator token acts in. It
// writes the columns this migration created, so later columns (which have
// defaults) need not exist yet.
func createDefaultAccount(tx *gorm.DB) error {
	now := Now()
	return tx.Create(&accountV1{ID: DefaultAccountID, Name: "Default account", CreatedAt: now, UpdatedAt: now}).Error
}

// The schema as this migration left it, so later changes to the models
// never change what it does.
type accountV1 struct {
	ID        string `gorm:"primaryKey;size:40"`
	Name      string `gorm:"size:255;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (accountV1) TableName() string { return "accounts" }

type apiKeyV1 struct {
	ID         string `gorm:"primaryKey;size:40"`
	AccountID  string `gorm:"size:40;not null;index"`
	Name       string `gorm:"size:255;not null"`
	Prefix     string `gorm:"size:16;not null"`
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func (apiKeyV1) TableName() string { return "api_keys" }

// ownedV1 is the account_id column added to table T; rows that existed
// before belong to the default account.
type ownedV1[T interface{ name() string }] struct {
	AccountID string `gorm:"size:40;not null;default:'acc_default';index"`
}

func (ownedV1[T]) TableName() string { var t T; return t.name() }

type eventClientV1 struct {
	AccountID string  `gorm:"size:40;not null;uniqueIndex:idx_events_account_client,priority:1"`
	ClientID  *string `gorm:"size:255;uniqueIndex:idx_events_account_client,priority:2"`
}

func (eventClientV1) TableName() string { return "events" }

type (
	databasesTable   struct{}
	collectionsTable struct{}
	profilesTable    struct{}
	subprofilesTable struct{}
	messagesTable    struct{}
	eventsTable      struct{}
	webhooksTable    struct{}
	deliveriesTable  struct{}
)

func (databasesTable) name() string   { return "databases" }
func (collectionsTable) name() string { return "collections" }
func (profilesTable) name() string    { return "profiles" }
func (subprofilesTable) name() string { return "subprofiles" }
func (messagesTable) name() string    { return "messages" }
func (eventsTable) name() string      { return "events" }
func (webhooksTable) name() string    { return "webhooks" }
func (deliveriesTable) name() string  { return "deliveries" }
