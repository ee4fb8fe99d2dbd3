package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateWebhookDisabled keeps who disabled a webhook and why, so a webhook
// hookflow switched off can be told from one its owner did.
var migrateWebhookDisabled = &gormigrate.Migration{
	ID: "202612021100_webhook_disabled",
	Migrate: func(tx *gorm.DB) error {
		for _, column := range []string{"DisabledBy", "DisabledReason"} {
			if err := tx.Migrator().AddColumn(&webhookDisabledV1{}, column); err != nil {
				return err
			}
		}
		// Webhooks disabled before were disabled by their owners: only
		// the API could disable one.
		return tx.Model(&webhookDisabledV1{}).Where("status = ?", "disabled").
			Updates(map[string]any{"disabled_by": "owner", "disabled_reason": "disabled by its owner"}).Error
	},
}

// webhookDisabledV1 is the columns added to webhooks.
type webhookDisabledV1 struct {
	Status         string  `gorm:"size:24;not null;index"`
	DisabledBy     *string `gorm:"size:16"`
	DisabledReason *string `gorm:"size:1024"`
}

func (webhookDisabledV1) TableName() string { return "webhooks" }
