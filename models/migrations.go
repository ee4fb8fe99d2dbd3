package models

import (
	"context"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// allModels is the schema, in creation order.
var allModels = []any{
	&Account{}, &APIKey{}, &IdempotentRequest{},
	&Database{}, &Collection{}, &Profile{}, &Subprofile{},
	&Message{}, &Link{}, &Event{}, &Webhook{}, &Delivery{}, &DeliveryAttempt{},
	&Lease{}, &Recovery{}, &WebhookFlow{}, &WebhookFlowSlot{}, &BatchItem{},
	&ConsoleSession{},
}

// migrations are the versioned schema changes after the initial schema.
// Append only: never edit or reorder one that has shipped. Each must run
// the same on MySQL and SQLite, so use GORM's Migrator, not raw DDL.
var migrations = []*gormigrate.Migration{
	migrateAccounts,
	migrateIdempotency,
	migrateLeases,
	migrateDeliveryLog,
	migrateVersions,
	migrateWebhookDisabled,
	migrationEventsSettledAt,
	migrateRecoveries,
	migrateDeliveriesStatus,
	migrationOpeventsSubjectWebhook,
	migrationOpeventsPreviousSecret,
	migrationWebhookHeaders,
	migrateFlowControl,
	migrateHeldActiveSince,
	migrateWebhookHealth,
	migrateBatchedDelivery,
	migrateConsoleSessions,
}

// Migrate brings the schema up to date. A fresh database gets the current
// schema in one step and every listed migration is recorded as applied;
// an existing one gets the migrations it has not seen.
func (s *Store) Migrate(ctx context.Context) error {
	m := gormigrate.New(s.db.WithContext(ctx), &gormigrate.Options{
		TableName:                 "schema_migrations",
		IDColumnName:              "id",
		IDColumnSize:              255,
		UseTransaction:            s.dialect == DialectSQLite, // MySQL DDL commits implicitly
		ValidateUnknownMigrations: true,
	}, migrations)
	m.InitSchema(func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(allModels...); err != nil {
			return err
		}
		return createDefaultAccount(tx)
	})
	return m.Migrate()
}
