package models_test

import (
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestMigrateWebhookDisabledKeepsExistingData takes the webhooks back to
// before disabled_by and disabled_reason, with webhooks in them, and
// migrates forward: a webhook disabled then was disabled by its owner.
func TestMigrateWebhookDisabledKeepsExistingData(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	m := db.Migrator()
	for _, column := range []string{"DisabledBy", "DisabledReason"} {
		if err := m.DropColumn(&models.Webhook{}, column); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612021100_webhook_disabled").Error; err != nil {
		t.Fatal(err)
	}
	now := models.Now()
	for id, status := range map[string]string{"wh_off": "disabled", "wh_on": "active"} {
		err := db.Table("webhooks").Create(map[string]any{
			"id": id, "account_id": models.DefaultAccountID, "url": "https://example.com/hook", "events": `["open"]`, "format": "json",
			"description": "", "status": status, "secret": "whsec_x", "verification_file": "f", "verification_content": "c",
			"verified_at": now, "created_at": now, "updated_at": now,
		}).Error
		if err != nil {
			t.Fatal(err)
		}
	}

	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	off, err := models.Get[models.Webhook](ctx, store, "wh_off")
	if err != nil || off.DisabledBy == nil || *off.DisabledBy != models.ActorOwner || off.DisabledReason == nil || *off.DisabledReason != models.ReasonDisabledByOwner {
		t.Errorf("legacy disabled webhook %+v (err %v), want disabled by its owner", off, err)
	}
	on, err := models.Get[models.Webhook](ctx, store, "wh_on")
	if err != nil || on.DisabledBy != nil || on.DisabledReason != nil {
		t.Errorf("legacy active webhook %+v (err %v), want no disabled_*", on, err)
	}
	if moved, err := store.TransitionWebhook(ctx, "wh_off", models.EnableWebhook()); err != nil || !moved {
		t.Errorf("re-enabling the legacy disabled webhook: moved %v, err %v", moved, err)
	}
}
