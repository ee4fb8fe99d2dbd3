package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// consoleSessionsV1 is the console_sessions table as this migration creates
// it, kept apart from ConsoleSession so later changes to the model do not
// change the migration.
type consoleSessionsV1 struct {
	IDHash    string    `gorm:"primaryKey;size:64"`
	Kind      string    `gorm:"size:16;not null"`
	AccountID string    `gorm:"size:40;not null"`
	Operator  bool      `gorm:"not null;default:false"`
	APIKeyID  string    `gorm:"size:40;not null;default:''"`
	CSRFToken string    `gorm:"size:64;not null"`
	Flash     string    `gorm:"type:text"`
	ExpiresAt time.Time `gorm:"not null;index"`
	CreatedAt time.Time
}

func (consoleSessionsV1) TableName() string { return "console_sessions" }

// migrateConsoleSessions adds the web console's sessions and one-time
// login links (issue 12).
var migrateConsoleSessions = &gormigrate.Migration{
	ID: "202612161000_console_sessions",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&consoleSessionsV1{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable(&consoleSessionsV1{})
	},
}
