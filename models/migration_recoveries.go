package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// recoveriesV1 is the recoveries table as this migration creates it, kept
// apart from Recovery so later changes to the model do not change the
// migration.
type recoveriesV1 struct {
	ID             string    `gorm:"primaryKey;size:40"`
	AccountID      string    `gorm:"size:40;not null;index"`
	WebhookID      string    `gorm:"size:40;not null;index"`
	Since          time.Time `gorm:"not null"`
	Until          time.Time `gorm:"not null"`
	MaxRPS         float64   `gorm:"not null"`
	Status         string    `gorm:"size:16;not null"`
	Total          int       `gorm:"not null;default:0"`
	Done           int       `gorm:"not null;default:0"`
	Succeeded      int       `gorm:"not null;default:0"`
	Failed         int       `gorm:"not null;default:0"`
	Reason         string    `gorm:"size:1024;not null;default:''"`
	LastDeliveryID string    `gorm:"size:40;not null;default:''"`
	InFlightID     *string   `gorm:"size:40"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	CompletedAt    *time.Time
}

func (recoveriesV1) TableName() string { return "recoveries" }

// migrateRecoveries adds the recoveries table: re-deliveries of a
// webhook's failed deliveries (POST /v1/webhooks/{id}/recover).
var migrateRecoveries = &gormigrate.Migration{
	ID: "202612031000_recoveries",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&recoveriesV1{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable(&recoveriesV1{})
	},
}
