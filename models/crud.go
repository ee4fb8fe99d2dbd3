package models

import (
	"context"

	"gorm.io/gorm"
)

// Get loads the row of type T with the given id, or ErrNotFound.
func Get[T any](ctx context.Context, s *Store, id string, preload ...string) (*T, error) {
	var v T
	q := s.db.WithContext(ctx)
	for _, p := range preload {
		q = q.Preload(p)
	}
	if err := q.Where("id = ?", id).Take(&v).Error; err != nil {
		return nil, translate(err)
	}
	return &v, nil
}

// Create inserts v (a pointer to a model) with its associations.
func (s *Store) Create(ctx context.Context, v any) error {
	return translate(s.db.WithContext(ctx).Create(v).Error)
}

// Delete removes the row of type T with the given id, or returns ErrNotFound.
func Delete[T any](ctx context.Context, s *Store, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(new(T))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Exists reports whether a row of type T has the given id.
func Exists[T any](ctx context.Context, s *Store, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(new(T)).Where("id = ?", id).Limit(1).Count(&n).Error
	return n > 0, err
}

// Filter narrows a list query.
type Filter func(*gorm.DB) *gorm.DB

// Where returns a filter on one condition.
func Where(query string, args ...any) Filter {
	return func(db *gorm.DB) *gorm.DB { return db.Where(query, args...) }
}
