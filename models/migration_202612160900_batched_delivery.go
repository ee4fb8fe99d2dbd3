package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateBatchedDelivery adds batched delivery: a webhook's batch
// settings, a delivery's event count, and the batch items (the outbox of
// batched webhooks and the events of each batch).
var migrateBatchedDelivery = &gormigrate.Migration{
	ID: "202612160900_batched_delivery",
	Migrate: func(tx *gorm.DB) error {
		if err := tx.Migrator().AddColumn(&webhookBatchV1{}, "Batch"); err != nil {
			return err
		}
		if err := tx.Migrator().AddColumn(&deliveryEventCountV1{}, "EventCount"); err != nil {
			return err
		}
		return tx.Migrator().CreateTable(&batchItemV1{})
	},
}

type webhookBatchV1 struct {
	Batch *WebhookBatch `gorm:"serializer:json;type:text"`
}

func (webhookBatchV1) TableName() string { return "webhooks" }

type deliveryEventCountV1 struct {
	EventCount int `gorm:"not null;default:1"`
}

func (deliveryEventCountV1) TableName() string { return "deliveries" }

type batchItemV1 struct {
	Seq        uint64    `gorm:"primaryKey;autoIncrement"`
	AccountID  string    `gorm:"size:40;not null"`
	WebhookID  string    `gorm:"size:40;not null;index:idx_batch_items_waiting,priority:1;uniqueIndex:idx_batch_items_event_webhook,priority:2"`
	EventID    string    `gorm:"size:40;not null;uniqueIndex:idx_batch_items_event_webhook,priority:1"`
	DeliveryID *string   `gorm:"size:40;index:idx_batch_items_waiting,priority:2;index:idx_batch_items_delivery"`
	CreatedAt  time.Time `gorm:"not null"`
}

func (batchItemV1) TableName() string { return "batch_items" }
