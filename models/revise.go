package models

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"gorm.io/gorm"
)

// The functions here are how a row is changed or removed after it was
// read: in one transaction they read the row, check the caller's
// precondition against it, and write only while what the write was
// computed from still holds. When another write came first, they start
// over from a fresh read, a bounded number of times.

// reviseAttempts bounds the fresh starts of one write. Each lost race means
// another write landed, so it is only reached under sustained contention on
// one row, which ErrContended reports rather than waiting for ever.
const reviseAttempts = 10

// errChanged says the row no longer met a write's conditions: start over.
var errChanged = errors.New("the row changed since it was read")

// ReviseOwned changes the account's row of type T with the given id. It
// reads the row, fails with ErrPreconditionFailed unless pre allows its
// version, asks edit for the change to make from what it read, and makes
// it; then also, when given, runs in the same transaction with the row
// before and after the change (to store an event describing it). When the
// change's conditions no longer hold (Change.AtVersion, or those of a life
// cycle transition), it starts over. It returns the row as the change left
// it, or ErrNotFound, ErrPreconditionFailed, ErrContended, or the error
// edit or also returned.
func ReviseOwned[T versioned](ctx context.Context, s *Store, accountID, id string, pre Precondition,
	edit func(tx *Store, current *T) (Change, error), also func(tx *Store, before, after *T) error,
) (*T, error) {
	return revise(ctx, s, InAccount(accountID), id, pre, edit, also)
}

// RemoveOwned deletes the account's row of type T with the given id as it
// was read: only at the version read, and only if pre allows it. also,
// when given, runs in the same transaction with the row removed (to remove
// what belongs to it, or store an event). It returns the row removed.
func RemoveOwned[T versioned](ctx context.Context, s *Store, accountID, id string, pre Precondition,
	also func(tx *Store, removed *T) error,
) (*T, error) {
	return remove(ctx, s, InAccount(accountID), id, pre, also)
}

func revise[T versioned](ctx context.Context, s *Store, scope Filter, id string, pre Precondition,
	edit func(tx *Store, current *T) (Change, error), also func(tx *Store, before, after *T) error,
) (*T, error) {
	var after *T
	err := retryChanged(ctx, func() error {
		return s.Transaction(ctx, func(tx *Store) error {
			before, err := readForWrite[T](ctx, tx, scope, id, pre)
			if err != nil {
				return err
			}
			change, err := edit(tx, before)
			if err != nil {
				return err
			}
			n, err := change.apply(ctx, scope(tx.db), new(T), id, pre)
			if err != nil {
				return err
			}
			if n == 0 {
				return errChanged
			}
			if after, err = get[T](ctx, tx, scope, id); err != nil {
				return err
			}
			if also != nil {
				return also(tx, before, after)
			}
			return nil
		})
	})
	return after, err
}

func remove[T versioned](ctx context.Context, s *Store, scope Filter, id string, pre Precondition,
	also func(tx *Store, removed *T) error,
) (*T, error) {
	var removed *T
	err := retryChanged(ctx, func() error {
		return s.Transaction(ctx, func(tx *Store) error {
			var err error
			if removed, err = readForWrite[T](ctx, tx, scope, id, pre); err != nil {
				return err
			}
			res := scope(tx.db.WithContext(ctx)).Where("id = ? AND version = ?", id, (*removed).RowVersion()).Delete(new(T))
			if res.Error != nil {
				return translate(res.Error)
			}
			if res.RowsAffected == 0 {
				return errChanged
			}
			if also != nil {
				return also(tx, removed)
			}
			return nil
		})
	})
	return removed, err
}

// readForWrite reads the row a write starts from and checks pre against it.
func readForWrite[T versioned](ctx context.Context, tx *Store, scope Filter, id string, pre Precondition) (*T, error) {
	row, err := get[T](ctx, tx, scope, id)
	if err != nil {
		return nil, err
	}
	if !pre.Allows((*row).RowVersion()) {
		return nil, ErrPreconditionFailed
	}
	return row, nil
}

func get[T any](ctx context.Context, s *Store, scope Filter, id string) (*T, error) {
	var v T
	if err := scope(s.db.WithContext(ctx)).Where("id = ?", id).Take(&v).Error; err != nil {
		return nil, translate(err)
	}
	return &v, nil
}

// retryChanged runs attempt until it ends other than by errChanged (or a
// deadlock, which MySQL resolves by rolling one transaction back), waiting
// a little, at random, between attempts so racing writers spread out.
func retryChanged(ctx context.Context, attempt func() error) error {
	for n := range reviseAttempts {
		if n > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(rand.N(time.Duration(n) * 2 * time.Millisecond)):
			}
		}
		err := attempt()
		if !errors.Is(err, errChanged) && !isDeadlock(err) {
			return err
		}
	}
	return ErrContended
}

// anyRow is the scope of rows no account owns (accounts themselves).
func anyRow(q *gorm.DB) *gorm.DB { return q }
