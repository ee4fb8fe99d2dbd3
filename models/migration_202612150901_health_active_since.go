package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateHeldActiveSince gives paused and disabled webhooks back the
// active_since their pause or disable used to clear: they now match events
// (their deliveries are held), which needs it. Events before the migration
// were matched already, so when it says they became active matters only
// as a lower bound: the proof of their URL is one.
var migrateHeldActiveSince = &gormigrate.Migration{
	ID: "202612150901_health_active_since",
	Migrate: func(tx *gorm.DB) error {
		return tx.Table("webhooks").
			Where("status IN ? AND active_since IS NULL AND verified_at IS NOT NULL", []string{"paused", "disabled"}).
			Update("active_since", gorm.Expr("verified_at")).Error
	},
}
