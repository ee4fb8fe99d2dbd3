package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrationEventsSettledAt adds events.settled_at and events.reconciled_at.
// Dispatched events with no pending delivery are marked settled, so the
// reconciler asks Temporal only about events that may still be in flight.
// (An event whose first attempts run while this migrates may be marked too
// early: its workflow still delivers it, only the reconciler's second look
// is lost.)
var migrationEventsSettledAt = &gormigrate.Migration{
	ID: "202612011200_events_settled_at",
	Migrate: func(tx *gorm.DB) error {
		// The columns as this migration adds them, whatever Event becomes later.
		type event struct {
			ID           string
			SettledAt    *time.Time `gorm:"index:idx_events_settled_at"`
			ReconciledAt *time.Time
		}
		m := tx.Migrator()
		for _, column := range []string{"SettledAt", "ReconciledAt"} {
			if !m.HasColumn(&event{}, column) {
				if err := m.AddColumn(&event{}, column); err != nil {
					return err
				}
			}
		}
		if !m.HasIndex(&event{}, "idx_events_settled_at") {
			if err := m.CreateIndex(&event{}, "idx_events_settled_at"); err != nil {
				return err
			}
		}
		pending := tx.Table("deliveries").Select("1").
			Where("deliveries.event_id = events.id AND deliveries.status = ?", "pending")
		return tx.Table("events").
			Where("settled_at IS NULL AND dispatched_at IS NOT NULL AND NOT EXISTS (?)", pending).
			Update("settled_at", gorm.Expr("dispatched_at")).Error
	},
	Rollback: func(tx *gorm.DB) error {
		type event struct {
			SettledAt    *time.Time `gorm:"index:idx_events_settled_at"`
			ReconciledAt *time.Time
		}
		m := tx.Migrator()
		if err := m.DropIndex(&event{}, "idx_events_settled_at"); err != nil {
			return err
		}
		for _, column := range []string{"SettledAt", "ReconciledAt"} {
			if err := m.DropColumn(&event{}, column); err != nil {
				return err
			}
		}
		return nil
	},
}
