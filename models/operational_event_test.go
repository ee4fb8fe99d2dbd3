package models_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func operationalSubscriber(t *testing.T, store *models.Store, edit func(*models.Webhook)) *models.Webhook {
	t.Helper()
	return deliveryStoreWebhook(t, store, func(w *models.Webhook) {
		w.Events = []models.EventType{models.EventWebhookDisabled, models.EventDeliveryExhausted}
		if edit != nil {
			edit(w)
		}
	})
}

// The same emission stored again, even concurrently (a retried activity),
// is the one event stored first.
func TestStoreOperationalEventIsIdempotent(t *testing.T) {
	store := modelstest.Open(t)
	subject := operationalSubscriber(t, store, nil)
	at := time.Date(2026, 12, 2, 1, 0, 0, 123_456_789, time.UTC)
	ev := models.WebhookDisabledEvent(subject, "410 Gone", at)

	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			e, err := store.StoreOperationalEvent(t.Context(), ev)
			if err != nil {
				t.Errorf("emission %d: %v", i, err)
				return
			}
			ids[i] = e.ID
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("emissions answered events %v, want one", ids)
		}
	}
	var stored []models.Event
	if err := store.DB(t.Context()).Where("type = ?", models.EventWebhookDisabled).Find(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Fatalf("%d events stored, want 1", len(stored))
	}
	e := stored[0]
	if e.SubjectWebhookID == nil || *e.SubjectWebhookID != subject.ID || e.AccountID != subject.AccountID ||
		!e.OccurredAt.Equal(at.Truncate(time.Millisecond)) || e.Data["reason"] != "410 Gone" || e.Data["webhook_id"] != subject.ID {
		t.Errorf("stored %+v, want the disable of %s", e, subject.ID)
	}

	later, err := store.StoreOperationalEvent(t.Context(), models.WebhookDisabledEvent(subject, "410 Gone", at.Add(time.Hour)))
	if err != nil || later.ID == e.ID {
		t.Errorf("a later disable stored %v (err %v), want a new event", later, err)
	}
}

// An operational event goes to the account's webhooks that subscribe to
// it, in the scope of the webhook it is about, and never to that webhook.
func TestWebhooksMatchingLeavesOutTheSubjectWebhook(t *testing.T) {
	store := modelstest.Open(t)
	dbA, dbB := "db_a", "db_b"
	subject := operationalSubscriber(t, store, func(w *models.Webhook) { w.DatabaseID = &dbA })
	unscoped := operationalSubscriber(t, store, nil)
	sameDB := operationalSubscriber(t, store, func(w *models.Webhook) { w.DatabaseID = &dbA })
	operationalSubscriber(t, store, func(w *models.Webhook) { w.DatabaseID = &dbB })
	operationalSubscriber(t, store, func(w *models.Webhook) { w.Events = []models.EventType{models.EventWebhookRecovered} })
	operationalSubscriber(t, store, func(w *models.Webhook) { w.AccountID = "acc_other" })

	d := &models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: subject.Owned, EventID: "evt_x", EventType: models.EventOpen,
		WebhookID: subject.ID, Status: models.DeliveryFailed, Attempts: 3, FailureReason: "retry window ran out"}
	last := &models.DeliveryAttempt{Number: 3, StatusCode: 503, StartedAt: models.Now()}
	e, err := store.StoreOperationalEvent(t.Context(), models.DeliveryExhaustedEvent(d, subject, last))
	if err != nil {
		t.Fatal(err)
	}
	matching, err := store.WebhooksMatching(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range matching {
		got = append(got, w.ID)
	}
	if want := []string{unscoped.ID, sameDB.ID}; !slices.Equal(got, want) {
		t.Errorf("delivery.exhausted about %s goes to %v, want %v (never to itself)", subject.ID, got, want)
	}
	if subject.Matches(e) {
		t.Error("Webhook.Matches takes an operational event about the webhook itself")
	}
	if lr, _ := e.Data["last_result"].(models.Fields); lr["status_code"] != 503 {
		t.Errorf("data %v, want the last attempt's status", e.Data)
	}

	if ok, err := store.AnyWebhookSubscribes(t.Context(), models.DefaultAccountID, models.EventDeliveryExhausted); err != nil || !ok {
		t.Errorf("AnyWebhookSubscribes(delivery.exhausted) = %v, %v; want true", ok, err)
	}
	if ok, err := store.AnyWebhookSubscribes(t.Context(), "acc_nobody", models.EventDeliveryExhausted); err != nil || ok {
		t.Errorf("AnyWebhookSubscribes for an account without webhooks = %v, %v; want false", ok, err)
	}
}

// Events stored before the column are about no webhook.
func TestMigrateOpeventsSubjectWebhookAddsTheColumn(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	if err := db.Migrator().DropColumn(&models.Event{}, "SubjectWebhookID"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612150900_opevents_subject_webhook").Error; err != nil {
		t.Fatal(err)
	}
	now := models.Now()
	if err := db.Table("events").Create(map[string]any{"id": "evt_old", "account_id": models.DefaultAccountID, "type": "open",
		"occurred_at": now, "received_at": now}).Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := models.Get[models.Event](ctx, store, "evt_old")
	if err != nil || e.SubjectWebhookID != nil {
		t.Errorf("legacy event %+v (err %v), want no subject webhook", e, err)
	}
}
