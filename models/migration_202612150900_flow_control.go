package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// The tables and columns as this migration makes them, kept apart from
// the models so later changes to those do not change the migration.
type (
	webhookLimitsV1 struct {
		MaxRPS      *float64
		MaxInFlight int `gorm:"not null;default:10"`
	}
	deliveryReservedSlotV1 struct {
		ReservedSlotAt *time.Time
	}
	webhookFlowsV1 struct {
		WebhookID      string  `gorm:"primaryKey;size:40"`
		Version        int64   `gorm:"not null;default:0"`
		NextSlotMs     int64   `gorm:"not null;default:0"`
		BlockedUntilMs int64   `gorm:"not null;default:0"`
		CutAtMs        int64   `gorm:"not null;default:0"`
		CutRPS         float64 `gorm:"not null;default:0"`
		CutFromRPS     float64 `gorm:"not null;default:0"`
		CountedUses    int64   `gorm:"not null;default:0"`
		CountedAtMs    int64   `gorm:"not null;default:0"`
	}
	webhookFlowSlotsV1 struct {
		WebhookID string `gorm:"primaryKey;size:40"`
		Slot      int    `gorm:"primaryKey;autoIncrement:false"`
		Holder    string `gorm:"size:64;not null;default:''"`
		ExpiresMs int64  `gorm:"not null;default:0"`
		Uses      int64  `gorm:"not null;default:0"`
	}
)

func (webhookLimitsV1) TableName() string        { return "webhooks" }
func (deliveryReservedSlotV1) TableName() string { return "deliveries" }
func (webhookFlowsV1) TableName() string         { return "webhook_flows" }
func (webhookFlowSlotsV1) TableName() string     { return "webhook_flow_slots" }

// migrateFlowControl adds the webhooks' rate and in-flight limits, the
// request slot a throttled delivery reserved, and the flow state every
// worker shares. Existing webhooks stay unlimited, 10 requests at once.
var migrateFlowControl = &gormigrate.Migration{
	ID: "202612150900_flow_control",
	Migrate: func(tx *gorm.DB) error {
		m := tx.Migrator()
		for _, column := range []string{"MaxRPS", "MaxInFlight"} {
			if err := m.AddColumn(&webhookLimitsV1{}, column); err != nil {
				return err
			}
		}
		if err := m.AddColumn(&deliveryReservedSlotV1{}, "ReservedSlotAt"); err != nil {
			return err
		}
		return m.CreateTable(&webhookFlowsV1{}, &webhookFlowSlotsV1{})
	},
	Rollback: func(tx *gorm.DB) error {
		m := tx.Migrator()
		if err := m.DropTable(&webhookFlowsV1{}, &webhookFlowSlotsV1{}); err != nil {
			return err
		}
		if err := m.DropColumn(&deliveryReservedSlotV1{}, "ReservedSlotAt"); err != nil {
			return err
		}
		for _, column := range []string{"MaxRPS", "MaxInFlight"} {
			if err := m.DropColumn(&webhookLimitsV1{}, column); err != nil {
				return err
			}
		}
		return nil
	},
}
