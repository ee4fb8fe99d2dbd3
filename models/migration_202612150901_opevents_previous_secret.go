package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrationOpeventsPreviousSecret adds webhooks.previous_secret and
// previous_secret_expires_at: a rotated secret keeps signing until its
// grace period ends. Webhooks never rotated have none.
var migrationOpeventsPreviousSecret = &gormigrate.Migration{
	ID: "202612150901_opevents_previous_secret",
	Migrate: func(tx *gorm.DB) error {
		for _, column := range []string{"PreviousSecret", "PreviousSecretExpiresAt"} {
			if tx.Migrator().HasColumn(&webhookPreviousSecretV1{}, column) {
				continue
			}
			if err := tx.Migrator().AddColumn(&webhookPreviousSecretV1{}, column); err != nil {
				return err
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		for _, column := range []string{"PreviousSecret", "PreviousSecretExpiresAt"} {
			if err := tx.Migrator().DropColumn(&webhookPreviousSecretV1{}, column); err != nil {
				return err
			}
		}
		return nil
	},
}

// webhookPreviousSecretV1 is the columns as this migration adds them.
type webhookPreviousSecretV1 struct {
	PreviousSecret          string `gorm:"size:128;not null;default:''"`
	PreviousSecretExpiresAt *time.Time
}

func (webhookPreviousSecretV1) TableName() string { return "webhooks" }
