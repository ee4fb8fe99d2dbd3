package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// deliveryStatusV1 is the index this migration adds, kept apart from
// Delivery so later changes to the model do not change the migration.
type deliveryStatusV1 struct {
	Status string `gorm:"size:16;index:idx_deliveries_status"`
}

func (deliveryStatusV1) TableName() string { return "deliveries" }

// migrateDeliveriesStatus indexes deliveries by status, so the backlog
// counts pending deliveries without reading the whole table.
var migrateDeliveriesStatus = &gormigrate.Migration{
	ID: "202612031000_deliveries_status",
	Migrate: func(tx *gorm.DB) error {
		if tx.Migrator().HasIndex(&deliveryStatusV1{}, "idx_deliveries_status") {
			return nil
		}
		return tx.Migrator().CreateIndex(&deliveryStatusV1{}, "idx_deliveries_status")
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropIndex(&deliveryStatusV1{}, "idx_deliveries_status")
	},
}
