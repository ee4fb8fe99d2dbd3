package models

import (
	"context"
	"fmt"
)

// DeleteDatabase removes a database with its collections, profiles,
// subprofiles and messages. Events stay: they are the delivery record.
// Run it in a transaction.
func (s *Store) DeleteDatabase(ctx context.Context, id string) error {
	db := s.db.WithContext(ctx)
	profiles := db.Model(&Profile{}).Select("id").Where("database_id = ?", id)
	messages := db.Model(&Message{}).Select("id").Where("database_id = ?", id)
	steps := []error{
		db.Where("message_id IN (?)", messages).Delete(&Link{}).Error,
		db.Where("database_id = ?", id).Delete(&Message{}).Error,
		db.Where("profile_id IN (?)", profiles).Delete(&Subprofile{}).Error,
		db.Where("database_id = ?", id).Delete(&Profile{}).Error,
		db.Where("database_id = ?", id).Delete(&Collection{}).Error,
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return Delete[Database](ctx, s, id)
}

// DeleteCollection removes a collection and its subprofiles.
func (s *Store) DeleteCollection(ctx context.Context, id string) error {
	if err := s.db.WithContext(ctx).Where("collection_id = ?", id).Delete(&Subprofile{}).Error; err != nil {
		return err
	}
	return Delete[Collection](ctx, s, id)
}

// DeleteProfile removes a profile and its subprofiles.
func (s *Store) DeleteProfile(ctx context.Context, id string) error {
	if err := s.db.WithContext(ctx).Where("profile_id = ?", id).Delete(&Subprofile{}).Error; err != nil {
		return err
	}
	return Delete[Profile](ctx, s, id)
}

// CountWebhooksLinkedTo counts webhooks scoped to a database or collection.
func (s *Store) CountWebhooksLinkedTo(ctx context.Context, column, id string) (int64, error) {
	if column != "database_id" && column != "collection_id" {
		return 0, fmt.Errorf("webhooks are not linked by %q", column)
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&Webhook{}).Where(column+" = ?", id).Count(&n).Error
	return n, err
}
