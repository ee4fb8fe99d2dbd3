package models

import "time"

// Database is a customer's audience database; profiles live in it.
type Database struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Versioned
	Name        string    `gorm:"size:255;not null" json:"name"`
	Description string    `gorm:"size:1024;not null;default:''" json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Collection is a sub-table of a database; subprofiles live in it.
type Collection struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Versioned
	DatabaseID string    `gorm:"size:40;not null;index" json:"database_id"`
	Name       string    `gorm:"size:255;not null" json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Profile is one recipient in a database.
type Profile struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Versioned
	DatabaseID string    `gorm:"size:40;not null;index:idx_profiles_database_email,priority:1" json:"database_id"`
	Email      string    `gorm:"size:320;not null;index:idx_profiles_database_email,priority:2" json:"email"`
	Fields     Fields    `gorm:"type:text" json:"fields"`
	Interests  []string  `gorm:"serializer:json;type:text" json:"interests"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Subprofile is a profile's row in one collection.
type Subprofile struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	Versioned
	ProfileID    string    `gorm:"size:40;not null;index" json:"profile_id"`
	CollectionID string    `gorm:"size:40;not null;index" json:"collection_id"`
	Fields       Fields    `gorm:"type:text" json:"fields"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}
