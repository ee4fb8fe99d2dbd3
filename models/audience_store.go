package models

import (
	"context"
	"errors"
	"fmt"
)

// DeleteDatabase removes the account's database, if pre allows, with its
// collections, profiles, subprofiles and messages, in one transaction.
// Events stay: they are the delivery record.
func (s *Store) DeleteDatabase(ctx context.Context, accountID, id string, pre Precondition) error {
	_, err := RemoveOwned(ctx, s, accountID, id, pre, func(tx *Store, _ *Database) error {
		db := tx.db.WithContext(ctx)
		profiles := db.Model(&Profile{}).Select("id").Where("database_id = ?", id)
		messages := db.Model(&Message{}).Select("id").Where("database_id = ?", id)
		steps := []error{
			db.Where("message_id IN (?)", messages).Delete(&Link{}).Error,
			db.Where("database_id = ?", id).Delete(&Message{}).Error,
			db.Where("profile_id IN (?)", profiles).Delete(&Subprofile{}).Error,
			db.Where("database_id = ?", id).Delete(&Profile{}).Error,
			db.Where("database_id = ?", id).Delete(&Collection{}).Error,
		}
		return errors.Join(steps...)
	})
	return err
}

// DeleteCollection removes the account's collection, if pre allows, and
// its subprofiles, in one transaction.
func (s *Store) DeleteCollection(ctx context.Context, accountID, id string, pre Precondition) error {
	_, err := RemoveOwned(ctx, s, accountID, id, pre, func(tx *Store, _ *Collection) error {
		return tx.db.WithContext(ctx).Where("collection_id = ?", id).Delete(&Subprofile{}).Error
	})
	return err
}

// DeleteProfile removes the account's profile, if pre allows, and its
// subprofiles; announce runs in the same transaction with the profile as
// it was removed. It returns that profile.
func (s *Store) DeleteProfile(ctx context.Context, accountID, id string, pre Precondition, announce func(tx *Store, removed *Profile) error) (*Profile, error) {
	return RemoveOwned(ctx, s, accountID, id, pre, func(tx *Store, p *Profile) error {
		if err := tx.db.WithContext(ctx).Where("profile_id = ?", id).Delete(&Subprofile{}).Error; err != nil {
			return err
		}
		return announce(tx, p)
	})
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
