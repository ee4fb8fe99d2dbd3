package models

import "time"

// Message is one e-mail sent to one profile; opens and clicks are traced
// back to it through signed tracking tokens.
type Message struct {
	ID string `gorm:"primaryKey;size:40" json:"id"`
	Owned
	DatabaseID   string    `gorm:"size:40;not null;index" json:"database_id"`
	ProfileID    string    `gorm:"size:40;not null;index" json:"profile_id"`
	SubprofileID *string   `gorm:"size:40" json:"subprofile_id"`
	Recipient    string    `gorm:"size:320;not null" json:"recipient"`
	Tags         []string  `gorm:"serializer:json;type:text" json:"tags"`
	Links        []Link    `gorm:"foreignKey:MessageID;constraint:OnDelete:CASCADE" json:"links"`
	CreatedAt    time.Time `json:"created_at"`
}

// Link is one tracked link in a message, in the order it was given.
type Link struct {
	ID        string   `gorm:"primaryKey;size:40" json:"id"`
	MessageID string   `gorm:"size:40;not null;uniqueIndex:idx_links_message_position,priority:1" json:"-"`
	Position  int      `gorm:"not null;uniqueIndex:idx_links_message_position,priority:2" json:"position"`
	URL       string   `gorm:"size:2048;not null" json:"url"`
	Tags      []string `gorm:"serializer:json;type:text" json:"tags"`
}
