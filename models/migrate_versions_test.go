package models_test

import (
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestMigrateVersionsKeepsExistingData takes a database back to the schema
// before row versions, with rows in it, and migrates it forward: the rows
// start at version 1 and take conditional writes.
func TestMigrateVersionsKeepsExistingData(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	m := db.Migrator()
	mustDo := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	for _, model := range []any{&models.Account{}, &models.Database{}, &models.Collection{}, &models.Profile{}, &models.Subprofile{}, &models.Webhook{}} {
		mustDo("drop version", m.DropColumn(model, "Version"))
	}
	mustDo("forget migrations", db.Exec("DELETE FROM schema_migrations WHERE id IN ?", []string{"202612021000_versions"}).Error)
	now := models.Now()
	mustDo("legacy database", db.Table("databases").Create(map[string]any{"id": "db_legacy", "account_id": models.DefaultAccountID, "name": "Old", "description": "", "created_at": now, "updated_at": now}).Error)

	mustDo("migrate", store.Migrate(ctx))

	d, err := models.GetOwned[models.Database](ctx, store, models.DefaultAccountID, "db_legacy")
	if err != nil || d.Version != 1 {
		t.Errorf("legacy database %+v (err %v), want version 1", d, err)
	}
	if a, err := models.Get[models.Account](ctx, store, models.DefaultAccountID); err != nil || a.Version != 1 {
		t.Errorf("default account %+v (err %v), want version 1", a, err)
	}
	renamed, err := models.ReviseOwned(ctx, store, models.DefaultAccountID, "db_legacy", models.AtVersions(1),
		func(*models.Store, *models.Database) (models.Change, error) {
			return models.Change{}.Set("name", "New"), nil
		}, nil)
	if err != nil || renamed.Version != 2 || renamed.Name != "New" {
		t.Errorf("revising a migrated row: %+v, %v", renamed, err)
	}
}
