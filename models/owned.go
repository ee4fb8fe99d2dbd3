package models

import "context"

// The functions here are how the API reads and removes what an account
// owns. A row of another account answers exactly as a missing row does
// (ErrNotFound), so ids never reveal that they exist elsewhere.

// InAccount keeps the rows of one account.
func InAccount(accountID string) Filter {
	return Where("account_id = ?", accountID)
}

// GetOwned loads the row of type T with the given id if the account owns
// it, or ErrNotFound.
func GetOwned[T any](ctx context.Context, s *Store, accountID, id string, preload ...string) (*T, error) {
	var v T
	q := s.db.WithContext(ctx)
	for _, p := range preload {
		q = q.Preload(p)
	}
	if err := q.Where("id = ? AND account_id = ?", id, accountID).Take(&v).Error; err != nil {
		return nil, translate(err)
	}
	return &v, nil
}

// DeleteOwned removes the row of type T with the given id if the account
// owns it, or returns ErrNotFound.
func DeleteOwned[T any](ctx context.Context, s *Store, accountID, id string) error {
	res := s.db.WithContext(ctx).Where("id = ? AND account_id = ?", id, accountID).Delete(new(T))
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
