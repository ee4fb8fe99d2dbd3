package models

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrationOpeventsSubjectWebhook adds events.subject_webhook_id: the
// webhook an operational event is about, which never receives it. Events
// stored before are about no webhook.
var migrationOpeventsSubjectWebhook = &gormigrate.Migration{
	ID: "202612150900_opevents_subject_webhook",
	Migrate: func(tx *gorm.DB) error {
		if tx.Migrator().HasColumn(&eventSubjectV1{}, "SubjectWebhookID") {
			return nil
		}
		return tx.Migrator().AddColumn(&eventSubjectV1{}, "SubjectWebhookID")
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropColumn(&eventSubjectV1{}, "SubjectWebhookID")
	},
}

// eventSubjectV1 is the column as this migration adds it, whatever Event
// becomes later.
type eventSubjectV1 struct {
	SubjectWebhookID *string `gorm:"size:40"`
}

func (eventSubjectV1) TableName() string { return "events" }
