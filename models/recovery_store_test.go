package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// finishedDelivery makes a delivery of a new settled event to w with one
// attempt that left it in status.
func finishedDelivery(t *testing.T, store *models.Store, w *models.Webhook, status models.DeliveryStatus) models.Delivery {
	t.Helper()
	ctx := t.Context()
	e := dispatchedEvent(t, store, models.Now())
	ds, err := store.EnsureDeliveries(ctx, e, []models.Webhook{*w})
	if err != nil {
		t.Fatal(err)
	}
	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: ds[0].ID, Number: 1, StatusCode: 404, StartedAt: models.Now()}
	if status == models.DeliverySucceeded {
		att.StatusCode = 200
	}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: att, Status: status}); err != nil {
		t.Fatal(err)
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || !settled {
		t.Fatalf("settle: %v, %v", settled, err)
	}
	d, err := models.Get[models.Delivery](ctx, store, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

func TestReopenDeliveryUnsettlesItsEvent(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	w := deliveryStoreWebhook(t, store, nil)
	d := finishedDelivery(t, store, w, models.DeliverySucceeded)

	if ok, err := store.ReopenDelivery(ctx, &d, models.DeliveryFailed); err != nil || ok {
		t.Fatalf("reopen a succeeded delivery from failed only: %v, %v; want false", ok, err)
	}
	if ok, err := store.ReopenDelivery(ctx, &d, models.DeliverySucceeded, models.DeliveryFailed); err != nil || !ok {
		t.Fatalf("reopen: %v, %v; want true", ok, err)
	}
	got, err := models.Get[models.Delivery](ctx, store, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.DeliveryPending || got.CompletedAt != nil || got.NextAttemptAt == nil || got.Attempts != 1 {
		t.Errorf("reopened delivery %+v: want pending, due now, its attempt count kept", got)
	}
	e, err := models.Get[models.Event](ctx, store, d.EventID)
	if err != nil {
		t.Fatal(err)
	}
	if e.SettledAt != nil || e.ReconciledAt == nil {
		t.Errorf("event after the reopen: settled %v, reconciled %v; want unsettled and just looked at", e.SettledAt, e.ReconciledAt)
	}
	if ok, err := store.ReopenDelivery(ctx, got, models.DeliverySucceeded, models.DeliveryFailed); err != nil || ok {
		t.Errorf("reopen a pending delivery: %v, %v; want false", ok, err)
	}
}

func newRecovery(t *testing.T, store *models.Store, w *models.Webhook, since, until time.Time) *models.Recovery {
	t.Helper()
	r := &models.Recovery{ID: models.NewID(models.PrefixRecovery), Owned: w.Owned, WebhookID: w.ID, Since: since, Until: until, MaxRPS: 10, Status: models.RecoveryRunning}
	if err := store.Create(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func reloadRecovery(t *testing.T, store *models.Store, id string) *models.Recovery {
	t.Helper()
	r, err := models.Get[models.Recovery](t.Context(), store, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestARecoveryGoesThroughTheFailedDeliveriesOfItsWindowOnce(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	w := deliveryStoreWebhook(t, store, nil)
	other := deliveryStoreWebhook(t, store, nil)
	since := models.Now().Add(-time.Second)
	failed := []models.Delivery{
		finishedDelivery(t, store, w, models.DeliveryFailed),
		finishedDelivery(t, store, w, models.DeliveryFailed),
		finishedDelivery(t, store, w, models.DeliveryFailed),
	}
	finishedDelivery(t, store, w, models.DeliverySucceeded)
	finishedDelivery(t, store, other, models.DeliveryFailed)
	until := models.Now().Add(time.Second)

	if n, err := store.CountFailedDeliveries(ctx, w.ID, since, until); err != nil || n != 3 {
		t.Fatalf("count: %d, %v; want 3", n, err)
	}
	if n, err := store.CountFailedDeliveries(ctx, w.ID, until, until.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("count of a later window: %d, %v; want 0", n, err)
	}
	r := newRecovery(t, store, w, since, until)
	if running, err := store.RecoveryRunningFor(ctx, w.ID); err != nil || running.ID != r.ID {
		t.Fatalf("running recovery of %s: %v, %v", w.ID, running, err)
	}
	if err := store.RecountRecovery(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r = reloadRecovery(t, store, r.ID); r.Total != 3 {
		t.Fatalf("total %d, want 3", r.Total)
	}

	todo, err := store.DeliveriesToRecover(ctx, r, 2)
	if err != nil || len(todo) != 2 || todo[0].ID != failed[0].ID || todo[1].ID != failed[1].ID {
		t.Fatalf("first page %v, %v; want the two oldest failed ones", todo, err)
	}
	// The first succeeds, the second cannot be attempted.
	if ok, err := store.ClaimForRecovery(ctx, r.ID, &todo[0]); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if r = reloadRecovery(t, store, r.ID); r.InFlightID == nil || *r.InFlightID != todo[0].ID {
		t.Fatalf("in flight %v, want %s", r.InFlightID, todo[0].ID)
	}
	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: todo[0].ID, Number: 2, StatusCode: 200, StartedAt: models.Now()}
	if err := store.RecordRecoveryAttempt(ctx, r.ID, models.AttemptRecord{Attempt: att, Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.ClaimForRecovery(ctx, r.ID, &todo[1]); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	if err := store.FailForRecovery(ctx, r.ID, todo[1].ID, "event was deleted"); err != nil {
		t.Fatal(err)
	}
	r = reloadRecovery(t, store, r.ID)
	if r.Done != 2 || r.Succeeded != 1 || r.Failed != 1 || r.LastDeliveryID != todo[1].ID || r.InFlightID != nil {
		t.Fatalf("recovery after two: %+v", r)
	}
	// The second is failed again, but behind the recovery: not listed again.
	if todo, err = store.DeliveriesToRecover(ctx, r, 10); err != nil || len(todo) != 1 || todo[0].ID != failed[2].ID {
		t.Fatalf("next page %v, %v; want only the third", todo, err)
	}

	// Once it ended, it claims nothing.
	if ended, err := store.EndRecovery(ctx, r.ID, models.RecoveryCancelled, ""); err != nil || !ended {
		t.Fatalf("cancel: %v, %v", ended, err)
	}
	if ok, err := store.ClaimForRecovery(ctx, r.ID, &todo[0]); !errors.Is(err, models.ErrRecoveryEnded) || ok {
		t.Fatalf("claim after the end: %v, %v; want ErrRecoveryEnded", ok, err)
	}
	if d, err := models.Get[models.Delivery](ctx, store, todo[0].ID); err != nil || d.Status != models.DeliveryFailed {
		t.Fatalf("the refused claim changed the delivery: %+v, %v", d, err)
	}
	if ended, err := store.EndRecovery(ctx, r.ID, models.RecoveryCompleted, ""); err != nil || ended {
		t.Fatalf("end an ended recovery: %v, %v; want false", ended, err)
	}
	if r = reloadRecovery(t, store, r.ID); r.Status != models.RecoveryCancelled || r.CompletedAt == nil || r.Total != 3 {
		t.Fatalf("cancelled recovery %+v", r)
	}
}

// TestRecoveriesMigration: a database from before the recoveries table gets it.
func TestRecoveriesMigration(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	if err := db.Migrator().DropTable("recoveries"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612031000_recoveries").Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate a database without recoveries: %v", err)
	}
	w := deliveryStoreWebhook(t, store, nil)
	r := newRecovery(t, store, w, models.Now().Add(-time.Hour), models.Now())
	if got := reloadRecovery(t, store, r.ID); got.WebhookID != w.ID || got.Status != models.RecoveryRunning {
		t.Fatalf("recovery on the migrated table: %+v", got)
	}
}
