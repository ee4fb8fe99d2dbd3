package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// leasesV1 is the leases table as this migration creates it, kept apart
// from Lease so later changes to the model do not change the migration.
type leasesV1 struct {
	Name      string    `gorm:"primaryKey;size:64"`
	Holder    string    `gorm:"size:255;not null"`
	ExpiresAt time.Time `gorm:"not null"`
}

func (leasesV1) TableName() string { return "leases" }

// migrateLeases adds the leases table, which keeps the undispatched-event
// sweeper to one API process at a time.
var migrateLeases = &gormigrate.Migration{
	ID: "202612011300_leases",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&leasesV1{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable(&leasesV1{})
	},
}
