package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrationWebhookHeaders adds the custom headers an owner has every
// request to a webhook carry.
var migrationWebhookHeaders = &gormigrate.Migration{
	ID: "202612151000_webhook_headers",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().AddColumn(&webhookHeadersV1{}, "Headers")
	},
}

type webhookHeadersV1 struct {
	Headers WebhookHeaders `gorm:"serializer:json;type:text"`
}

func (webhookHeadersV1) TableName() string { return "webhooks" }
