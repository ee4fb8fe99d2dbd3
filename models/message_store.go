package models

import (
	"context"

	"gorm.io/gorm"
)

// GetMessage loads a message that passes the filters with its links in order.
func (s *Store) GetMessage(ctx context.Context, id string, filters ...Filter) (*Message, error) {
	var m Message
	q := s.db.WithContext(ctx).
		Preload("Links", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Where("id = ?", id)
	for _, f := range filters {
		q = f(q)
	}
	err := q.Take(&m).Error
	if err != nil {
		return nil, translate(err)
	}
	return &m, nil
}
