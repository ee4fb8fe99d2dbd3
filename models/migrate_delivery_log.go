package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateDeliveryLog adds what the delivery log shows without joins: the
// event's type, and when the last attempt was and the next is due.
var migrateDeliveryLog = &gormigrate.Migration{
	ID: "202612011400_delivery_log",
	Migrate: func(tx *gorm.DB) error {
		for _, column := range []string{"EventType", "LastAttemptAt", "NextAttemptAt"} {
			if err := tx.Migrator().AddColumn(&deliveryLogV1{}, column); err != nil {
				return err
			}
		}
		return tx.Exec(`UPDATE deliveries SET
			event_type = COALESCE((SELECT type FROM events WHERE events.id = deliveries.event_id), ''),
			last_attempt_at = (SELECT MAX(started_at) FROM delivery_attempts WHERE delivery_attempts.delivery_id = deliveries.id)`).Error
	},
}

type deliveryLogV1 struct {
	EventType     string `gorm:"size:32;not null;default:''"`
	LastAttemptAt *time.Time
	NextAttemptAt *time.Time
}

func (deliveryLogV1) TableName() string { return "deliveries" }
