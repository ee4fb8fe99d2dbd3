package models

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrateIdempotency adds the table that remembers Idempotency-Keys.
var migrateIdempotency = &gormigrate.Migration{
	ID: "202612011100_idempotent_requests",
	Migrate: func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&idempotentRequestV1{})
	},
}

type idempotentRequestV1 struct {
	AccountID   string    `gorm:"primaryKey;size:40"`
	Key         string    `gorm:"primaryKey;column:idempotency_key;size:255"`
	RequestHash string    `gorm:"size:64;not null"`
	StatusCode  int       `gorm:"not null;default:0"`
	Header      string    `gorm:"type:text"`
	Body        []byte    `gorm:"type:mediumblob"`
	CreatedAt   time.Time `gorm:"not null;index"`
}

func (idempotentRequestV1) TableName() string { return "idempotent_requests" }
