package models

import (
	"context"

	"gorm.io/gorm"
)

// GetMessage loads a message with its links in order.
func (s *Store) GetMessage(ctx context.Context, id string) (*Message, error) {
	var m Message
	err := s.db.WithContext(ctx).
		Preload("Links", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Where("id = ?", id).Take(&m).Error
	if err != nil {
		return nil, translate(err)
	}
	return &m, nil
}
