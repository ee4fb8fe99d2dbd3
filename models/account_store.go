package models

import (
	"context"
	"errors"
)

// ErrDefaultAccount refuses to delete the default account: the operator
// token acts in it, and a single-tenant install lives in it.
var ErrDefaultAccount = errors.New("the default account cannot be deleted")

// AccountWebhookIDs lists the ids of an account's webhooks, for stopping
// their workflows before the account is deleted.
func (s *Store) AccountWebhookIDs(ctx context.Context, accountID string) ([]string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Model(&Webhook{}).Where("account_id = ?", accountID).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// DeleteAccount removes an account and everything it owns. Keys go first,
// so access ends at once, and recoveries and webhooks next, so deliveries
// in flight find nothing to send to; the account row goes last, so a deletion that stops
// half-way is finished by asking again. It starts only if pre holds, and
// first claims the account by adding one to its version: a stale If-Match
// never deletes anything, and one that held is no longer current once
// anything was deleted.
func (s *Store) DeleteAccount(ctx context.Context, accountID string, pre Precondition) error {
	if accountID == DefaultAccountID {
		return ErrDefaultAccount
	}
	noChange := func(*Store, *Account) (Change, error) { return Change{}, nil }
	if _, err := revise(ctx, s, anyRow, accountID, pre, noChange, nil); err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	deliveries := db.Model(&Delivery{}).Select("id").Where("account_id = ?", accountID)
	messages := db.Model(&Message{}).Select("id").Where("account_id = ?", accountID)
	steps := []func() error{
		func() error { return db.Where("account_id = ?", accountID).Delete(&APIKey{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Recovery{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Webhook{}).Error },
		func() error { return db.Where("delivery_id IN (?)", deliveries).Delete(&DeliveryAttempt{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Delivery{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Event{}).Error },
		func() error { return db.Where("message_id IN (?)", messages).Delete(&Link{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Message{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Subprofile{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Profile{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Collection{}).Error },
		func() error { return db.Where("account_id = ?", accountID).Delete(&Database{}).Error },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return Delete[Account](ctx, s, accountID)
}

// RenameAccount changes an account's name, when given, in one conditional
// UPDATE that also checks pre, and returns the account as it now is.
func (s *Store) RenameAccount(ctx context.Context, id string, name *string, pre Precondition) (*Account, error) {
	return revise(ctx, s, anyRow, id, pre, func(*Store, *Account) (Change, error) {
		var c Change
		if name != nil {
			c = c.Set("name", *name)
		}
		return c, nil
	}, nil)
}
