package models_test

import (
	"errors"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// legacyEventClient is the events' unique client-id index as it was before accounts.
type legacyEventClient struct {
	ClientID *string `gorm:"size:255;uniqueIndex"`
}

func (legacyEventClient) TableName() string { return "events" }

// TestMigrateAccountsKeepsExistingData takes a database back to the
// schema before accounts, with rows in it, and migrates it forward: the
// rows belong to the default account, which exists, and client ids are
// unique per account.
func TestMigrateAccountsKeepsExistingData(t *testing.T) {
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
	// Back to the schema before accounts.
	mustDo("drop account tables", m.DropTable(&models.APIKey{}, &models.Account{}))
	mustDo("drop client index", m.DropIndex(&models.Event{}, "idx_events_account_client"))
	for _, model := range []any{&models.Database{}, &models.Collection{}, &models.Profile{}, &models.Subprofile{}, &models.Message{}, &models.Event{}, &models.Webhook{}, &models.Delivery{}} {
		mustDo("drop account index", m.DropIndex(model, "AccountID"))
		mustDo("drop account column", m.DropColumn(model, "AccountID"))
	}
	mustDo("old client index", m.CreateIndex(&legacyEventClient{}, "idx_events_client_id"))
	mustDo("forget migration", db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612011000_accounts").Error)
	now := models.Now()
	mustDo("legacy database", db.Table("databases").Create(map[string]any{"id": "db_legacy", "name": "Old", "description": "", "created_at": now, "updated_at": now}).Error)
	mustDo("legacy event", db.Table("events").Create(map[string]any{"id": "evt_legacy", "client_id": "client-1", "type": "open", "occurred_at": now, "received_at": now}).Error)

	mustDo("migrate", store.Migrate(ctx))

	if _, err := models.GetOwned[models.Database](ctx, store, models.DefaultAccountID, "db_legacy"); err != nil {
		t.Errorf("the legacy database is not in the default account: %v", err)
	}
	if e, err := store.EventByClientID(ctx, models.DefaultAccountID, "client-1"); err != nil || e.ID != "evt_legacy" {
		t.Errorf("legacy event by client id: %v, %v", e, err)
	}
	if a, err := models.Get[models.Account](ctx, store, models.DefaultAccountID); err != nil || a.Name == "" {
		t.Errorf("default account: %+v, %v", a, err)
	}
	clientID := "client-1"
	other := models.Event{ID: "evt_other", AccountID: "acc_other", ClientID: &clientID, Type: models.EventOpen, OccurredAt: models.Now(), ReceivedAt: models.Now()}
	mustDo("same client id in another account", store.Create(ctx, &other))
	again := other
	again.ID, again.AccountID = "evt_again", models.DefaultAccountID
	if err := store.Create(ctx, &again); !errors.Is(err, models.ErrConflict) {
		t.Errorf("a second client-1 in the default account: %v, want ErrConflict", err)
	}
}
