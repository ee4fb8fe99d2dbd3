package models_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// Webhooks stored before rotation existed have no previous secret and
// sign with their one secret.
func TestMigrateOpeventsPreviousSecretAddsTheColumns(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	for _, column := range []string{"PreviousSecret", "PreviousSecretExpiresAt"} {
		if err := db.Migrator().DropColumn(&models.Webhook{}, column); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612150901_opevents_previous_secret").Error; err != nil {
		t.Fatal(err)
	}
	now := models.Now()
	err := db.Table("webhooks").Create(map[string]any{
		"id": "wh_old", "account_id": models.DefaultAccountID, "url": "https://example.com/hook", "events": `["open"]`, "format": "json",
		"description": "", "status": "active", "secret": "whsec_x", "verification_file": "f", "verification_content": "c",
		"created_at": now, "updated_at": now,
	}).Error
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := models.Get[models.Webhook](ctx, store, "wh_old")
	if err != nil || w.PreviousSecret != "" || w.PreviousSecretExpiresAt != nil {
		t.Fatalf("legacy webhook %+v (err %v), want no previous secret", w, err)
	}
	if got := w.SigningSecrets(time.Now()); len(got) != 1 || got[0] != "whsec_x" {
		t.Errorf("signing secrets %v, want its one secret", got)
	}
}
