package models_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func reviseProfile(t *testing.T, store *models.Store) *models.Profile {
	t.Helper()
	p := &models.Profile{
		ID: models.NewID(models.PrefixProfile), Owned: models.Owned{AccountID: models.DefaultAccountID},
		DatabaseID: "db_x", Email: "ann@example.com", Fields: models.Fields{"name": "Ann"}, Interests: []string{"cycling"},
	}
	if err := store.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 {
		t.Fatalf("a new row is at version %d, want 1", p.Version)
	}
	return p
}

// setEmail is an edit that names one column.
func setEmail(email string) func(*models.Store, *models.Profile) (models.Change, error) {
	return func(*models.Store, *models.Profile) (models.Change, error) {
		return models.Change{}.Set("email", email), nil
	}
}

func TestReviseWritesOnlyWhatItNames(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	p := reviseProfile(t, store)
	var before, after *models.Profile
	got, err := models.ReviseOwned(ctx, store, p.AccountID, p.ID, models.Precondition{},
		func(_ *models.Store, cur *models.Profile) (models.Change, error) {
			return models.Change{}.SetJSON("fields", models.Fields{"name": "Ann", "city": "Delft"}).AtVersion(cur.Version), nil
		},
		func(_ *models.Store, b, a *models.Profile) error { before, after = b, a; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Fields["city"] != "Delft" || got.Email != p.Email || len(got.Interests) != 1 {
		t.Errorf("revised profile %+v, want version 2 with the new fields and the rest kept", got)
	}
	if before.Version != 1 || before.Fields["city"] != nil || after.Version != 2 || after.Fields["city"] != "Delft" {
		t.Errorf("also saw before %+v and after %+v", before, after)
	}
	stored, err := models.Get[models.Profile](ctx, store, p.ID)
	if err != nil || stored.Fields["city"] != "Delft" || stored.Version != 2 {
		t.Errorf("stored %+v (err %v)", stored, err)
	}
}

func TestReviseNeverCreatesAndKeepsAccountsApart(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	p := reviseProfile(t, store)
	for name, target := range map[string]struct{ account, id string }{
		"missing":       {p.AccountID, "prof_gone"},
		"other account": {"acc_other", p.ID},
	} {
		if _, err := models.ReviseOwned(ctx, store, target.account, target.id, models.Precondition{}, setEmail("x@example.com"), nil); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: err %v, want ErrNotFound", name, err)
		}
		if _, err := models.RemoveOwned[models.Profile](ctx, store, target.account, target.id, models.Precondition{}, nil); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: remove err %v, want ErrNotFound", name, err)
		}
	}
	var n int64
	if err := store.DB(ctx).Model(&models.Profile{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d profiles (err %v), want only the one created", n, err)
	}
	if got, _ := models.Get[models.Profile](ctx, store, p.ID); got.Email != p.Email {
		t.Errorf("another account's write changed the profile: %+v", got)
	}
}

func TestRevisePrecondition(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	p := reviseProfile(t, store)
	for name, pre := range map[string]models.Precondition{
		"stale version": models.AtVersions(7),
		"no version":    models.AtVersions(),
	} {
		if _, err := models.ReviseOwned(ctx, store, p.AccountID, p.ID, pre, setEmail("stale@example.com"), nil); !errors.Is(err, models.ErrPreconditionFailed) {
			t.Errorf("%s: err %v, want ErrPreconditionFailed", name, err)
		}
		if _, err := models.RemoveOwned[models.Profile](ctx, store, p.AccountID, p.ID, pre, nil); !errors.Is(err, models.ErrPreconditionFailed) {
			t.Errorf("%s: remove err %v, want ErrPreconditionFailed", name, err)
		}
	}
	got, err := models.ReviseOwned(ctx, store, p.AccountID, p.ID, models.AtVersions(9, 1), setEmail("new@example.com"), nil)
	if err != nil || got.Email != "new@example.com" || got.Version != 2 {
		t.Fatalf("revise at the current version: %+v, %v", got, err)
	}
	if _, err := models.RemoveOwned[models.Profile](ctx, store, p.AccountID, p.ID, models.AtVersions(1), nil); !errors.Is(err, models.ErrPreconditionFailed) {
		t.Errorf("remove at the version before: err %v, want ErrPreconditionFailed", err)
	}
	if _, err := models.RemoveOwned[models.Profile](ctx, store, p.AccountID, p.ID, models.AtVersions(2), nil); err != nil {
		t.Errorf("remove at the current version: %v", err)
	}
	if ok, _ := models.Exists[models.Profile](ctx, store, p.ID); ok {
		t.Error("the profile is still there")
	}
}

// bumpVersion stands for another writer landing between a read and a
// write: it changes the row inside the transaction (which rolls back with
// the failed attempt).
func bumpVersion(t *testing.T, tx *models.Store, p *models.Profile) error {
	return tx.DB(t.Context()).Model(&models.Profile{}).Where("id = ?", p.ID).Update("version", gorm.Expr("version + 1")).Error
}

func TestReviseStartsOverWhenTheRowChanged(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	p := reviseProfile(t, store)
	calls := 0
	got, err := models.ReviseOwned(ctx, store, p.AccountID, p.ID, models.Precondition{},
		func(tx *models.Store, cur *models.Profile) (models.Change, error) {
			calls++
			if calls == 1 {
				if err := bumpVersion(t, tx, cur); err != nil {
					return models.Change{}, err
				}
			}
			return models.Change{}.Set("email", "second@example.com").AtVersion(cur.Version), nil
		}, nil)
	if err != nil || calls != 2 || got.Email != "second@example.com" || got.Version != 2 {
		t.Errorf("after a lost race: %+v, err %v, %d edits; want the second edit at version 2", got, err, calls)
	}

	calls = 0
	_, err = models.ReviseOwned(ctx, store, p.AccountID, p.ID, models.Precondition{},
		func(tx *models.Store, cur *models.Profile) (models.Change, error) {
			calls++
			return models.Change{}.Set("email", "never@example.com").AtVersion(cur.Version), bumpVersion(t, tx, cur)
		}, nil)
	if !errors.Is(err, models.ErrContended) || calls < 2 {
		t.Errorf("always losing: err %v after %d edits, want ErrContended after several", err, calls)
	}
	if stored, _ := models.Get[models.Profile](ctx, store, p.ID); stored.Email != "second@example.com" || stored.Version != 2 {
		t.Errorf("contended writes left %+v", stored)
	}
}

func TestRemoveRollsBackWithWhatItAlsoDoes(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	p := reviseProfile(t, store)
	failed := errors.New("announcing failed")
	if _, err := models.RemoveOwned(ctx, store, p.AccountID, p.ID, models.Precondition{},
		func(*models.Store, *models.Profile) error { return failed }); !errors.Is(err, failed) {
		t.Errorf("err %v, want %v", err, failed)
	}
	if ok, _ := models.Exists[models.Profile](ctx, store, p.ID); !ok {
		t.Error("the profile was removed though what had to go with it failed")
	}
	var seen *models.Profile
	removed, err := models.RemoveOwned(ctx, store, p.AccountID, p.ID, models.Precondition{},
		func(_ *models.Store, r *models.Profile) error { seen = r; return nil })
	if err != nil || removed.Email != p.Email || seen != removed {
		t.Errorf("remove: %+v, err %v; also saw %+v", removed, err, seen)
	}
	if ok, _ := models.Exists[models.Profile](ctx, store, p.ID); ok {
		t.Error("the profile is still there")
	}
}
