package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateWebhookHealth keeps how a webhook's receiver fares: since when it
// fails, and hookflow's last probe of it while disabled.
var migrateWebhookHealth = &gormigrate.Migration{
	ID: "202612150902_health_webhook_columns",
	Migrate: func(tx *gorm.DB) error {
		for _, column := range []string{"FailingSince", "LastProbeAt", "LastProbeResult"} {
			if err := tx.Migrator().AddColumn(&webhookHealthV1{}, column); err != nil {
				return err
			}
		}
		return nil
	},
}

// webhookHealthV1 is the columns added to webhooks.
type webhookHealthV1 struct {
	FailingSince    *time.Time
	LastProbeAt     *time.Time
	LastProbeResult *string `gorm:"size:255"`
}

func (webhookHealthV1) TableName() string { return "webhooks" }
