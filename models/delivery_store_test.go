package models_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func deliveryStoreWebhook(t *testing.T, store *models.Store, edit func(*models.Webhook)) *models.Webhook {
	t.Helper()
	since := models.Now().Add(-time.Hour)
	w := &models.Webhook{
		ID: models.NewID(models.PrefixWebhook), Owned: models.Owned{AccountID: models.DefaultAccountID}, URL: "https://example.com/hook", Events: []models.EventType{models.EventOpen},
		Format: models.FormatJSON, Status: models.WebhookActive, ActiveSince: &since, Secret: "whsec_x",
	}
	if edit != nil {
		edit(w)
	}
	if err := store.Create(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebhooksMatchingNarrowsByScope(t *testing.T) {
	store := modelstest.Open(t)
	dbA, dbB, colA, colB := "db_a", "db_b", "col_a", "col_b"
	unscoped := deliveryStoreWebhook(t, store, nil)
	inDB := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID = &dbA })
	inCol := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID, w.CollectionID = &dbA, &colA })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID, w.CollectionID = &dbA, &colB })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID = &dbB })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Events = []models.EventType{models.EventProfileCreate} })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Status = models.WebhookUnverified })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.AccountID = "acc_other" })

	ids := func(e *models.Event) []string {
		hooks, err := store.WebhooksMatching(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range hooks {
			out = append(out, w.ID)
		}
		return out
	}
	e := &models.Event{AccountID: models.DefaultAccountID, Type: models.EventOpen, OccurredAt: models.Now(), DatabaseID: &dbA, CollectionID: &colA}
	if got, want := ids(e), []string{unscoped.ID, inDB.ID, inCol.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("event in %s/%s matches %v, want %v", dbA, colA, got, want)
	}
	e.CollectionID = nil
	if got, want := ids(e), []string{unscoped.ID, inDB.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("event in %s matches %v, want %v", dbA, got, want)
	}
	e.DatabaseID = nil
	if got, want := ids(e), []string{unscoped.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("unscoped event matches %v, want %v", got, want)
	}
	e.OccurredAt = models.Now().Add(-2 * time.Hour)
	if got := ids(e); len(got) != 0 {
		t.Errorf("event from before activation matches %v", got)
	}
}

// activeWebhooks are webhooks with the given ids, as EnsureDeliveries
// reads them: active.
func activeWebhooks(ids ...string) []models.Webhook {
	ws := make([]models.Webhook, len(ids))
	for i, id := range ids {
		ws[i] = models.Webhook{ID: id, Status: models.WebhookActive}
	}
	return ws
}

// evt1 is an event the delivery tests record deliveries of.
var evt1 = &models.Event{ID: "evt_1", AccountID: models.DefaultAccountID}

func TestEnsureDeliveriesReusesRows(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	first, err := store.EnsureDeliveries(ctx, evt1, activeWebhooks("wh_a", "wh_b"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := store.EnsureDeliveries(ctx, evt1, activeWebhooks("wh_b", "wh_c"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || len(again) != 3 || again[0].ID != first[0].ID || again[1].ID != first[1].ID || again[2].WebhookID != "wh_c" {
		t.Errorf("first %+v, again %+v: want the same two rows and one new", first, again)
	}
	for _, d := range again {
		if d.Status != models.DeliveryPending || d.Attempts != 0 {
			t.Errorf("new delivery %+v, want pending with no attempts", d)
		}
	}
}

func TestRecordAttemptMovesOnlyPendingDeliveries(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	ds, err := store.EnsureDeliveries(ctx, evt1, activeWebhooks("wh_a"))
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	attempt := func(n int) *models.DeliveryAttempt {
		return &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: d.ID, Number: n, StatusCode: 503, StartedAt: models.Now()}
	}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: attempt(1), Status: models.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: attempt(1), Status: models.DeliveryPending}); !errors.Is(err, models.ErrConflict) {
		t.Errorf("recording attempt 1 twice: err %v, want ErrConflict", err)
	}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: attempt(2), Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: attempt(3), Status: models.DeliveryFailed}); !errors.Is(err, models.ErrConflict) {
		t.Errorf("recording after success: err %v, want ErrConflict", err)
	}
	got, err := models.Get[models.Delivery](ctx, store, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.DeliverySucceeded || got.Attempts != 2 || got.CompletedAt == nil {
		t.Errorf("delivery %+v, want succeeded after 2 attempts", got)
	}
	var n int64
	if err := store.DB(ctx).Model(&models.DeliveryAttempt{}).Where("delivery_id = ?", d.ID).Count(&n).Error; err != nil || n != 2 {
		t.Errorf("%d attempts stored (err %v), want 2: a rejected attempt must be rolled back", n, err)
	}
	if failed, err := store.FailPendingDelivery(ctx, d.ID, "window ran out"); err != nil || failed {
		t.Errorf("FailPendingDelivery on a success = %v, %v; want false", failed, err)
	}
}
