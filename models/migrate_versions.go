package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateVersions gives every row the API lets its owner change a version,
// which each UPDATE increments: ETags and conditional writes compare it.
// Rows from before start at version 1.
var migrateVersions = &gormigrate.Migration{
	ID: "202612021000_versions",
	Migrate: func(tx *gorm.DB) error {
		tables := []any{
			&versionV1[accountsTable]{}, &versionV1[databasesTable]{}, &versionV1[collectionsTable]{},
			&versionV1[profilesTable]{}, &versionV1[subprofilesTable]{}, &versionV1[webhooksTable]{},
		}
		for _, table := range tables {
			if err := tx.Migrator().AddColumn(table, "Version"); err != nil {
				return err
			}
		}
		return nil
	},
}

// versionV1 is the version column added to table T.
type versionV1[T interface{ name() string }] struct {
	Version int64 `gorm:"not null;default:1"`
}

func (versionV1[T]) TableName() string { var t T; return t.name() }

type accountsTable struct{}

func (accountsTable) name() string { return "accounts" }
