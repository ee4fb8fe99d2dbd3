package models_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestBacklogCountsWhatWaits(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	if b, err := store.Backlog(ctx); err != nil || b != (models.Backlog{}) {
		t.Fatalf("empty database: backlog %+v, %v; want zero", b, err)
	}

	received := models.Now().Add(-time.Hour)
	undispatched := &models.Event{ID: models.NewID(models.PrefixEvent), Type: models.EventOpen, OccurredAt: received, ReceivedAt: received}
	if err := store.Create(ctx, undispatched); err != nil {
		t.Fatal(err)
	}
	retrying := dispatchedEvent(t, store, models.Now())
	done := dispatchedEvent(t, store, models.Now())
	w := deliveryStoreWebhook(t, store, nil)
	for _, e := range []*models.Event{retrying, done} {
		if _, err := store.EnsureDeliveries(ctx, e, []models.Webhook{*w}); err != nil {
			t.Fatal(err)
		}
	}
	delivered := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: deliveryID(t, store, done.ID), Number: 1, StatusCode: 200, StartedAt: models.Now()}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: delivered, Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if settled, err := store.SettleEventIfDone(ctx, done.ID); err != nil || !settled {
		t.Fatalf("settle the delivered event: %v, %v", settled, err)
	}

	b, err := store.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := models.Backlog{UnsettledEvents: 2, UndispatchedEvents: 1, PendingDeliveries: 1, OldestUnsettled: received}
	if !b.OldestUnsettled.Equal(want.OldestUnsettled) {
		t.Errorf("oldest unsettled %v, want %v", b.OldestUnsettled, want.OldestUnsettled)
	}
	b.OldestUnsettled = want.OldestUnsettled
	if b != want {
		t.Errorf("backlog %+v, want %+v", b, want)
	}
}

// A database from before the index gets it.
func TestDeliveriesStatusMigration(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	m := store.DB(ctx).Migrator()
	if !m.HasIndex(&models.Delivery{}, "idx_deliveries_status") {
		t.Fatal("a fresh schema lacks idx_deliveries_status")
	}
	if err := m.DropIndex(&models.Delivery{}, "idx_deliveries_status"); err != nil {
		t.Fatal(err)
	}
	if err := store.DB(ctx).Exec("DELETE FROM schema_migrations WHERE id = ?", "202612031000_deliveries_status").Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !m.HasIndex(&models.Delivery{}, "idx_deliveries_status") {
		t.Fatal("the migration did not add idx_deliveries_status")
	}
}

func deliveryID(t *testing.T, store *models.Store, eventID string) string {
	t.Helper()
	var d models.Delivery
	if err := store.DB(t.Context()).Where("event_id = ?", eventID).Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// BenchmarkBacklog reads the backlog of 100,000 events (10,000 of them
// unsettled, 1,000 undispatched) and 100,000 deliveries (5,000 pending):
// what one scrape of the worker's metrics costs the database at most once
// every 15 s.
func BenchmarkBacklog(b *testing.B) {
	store := modelstest.Open(b)
	ctx := b.Context()
	const n = 100_000
	now := models.Now()
	events := make([]models.Event, n)
	deliveries := make([]models.Delivery, n)
	for i := range events {
		e := &events[i]
		e.ID, e.Type, e.OccurredAt, e.ReceivedAt = models.NewID(models.PrefixEvent), models.EventOpen, now, now
		if i >= n/10 {
			e.SettledAt = &now
		}
		if i >= n/100 {
			e.DispatchedAt = &now
		}
		d := &deliveries[i]
		d.ID, d.EventID, d.WebhookID, d.Status, d.CreatedAt, d.UpdatedAt = models.NewID(models.PrefixDelivery), e.ID, "wh_bench", models.DeliverySucceeded, now, now
		if i%20 == 0 {
			d.Status = models.DeliveryPending
		}
	}
	if err := store.DB(ctx).CreateInBatches(events, 1000).Error; err != nil {
		b.Fatal(err)
	}
	if err := store.DB(ctx).CreateInBatches(deliveries, 1000).Error; err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		backlog, err := store.Backlog(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if backlog.UnsettledEvents != n/10 || backlog.UndispatchedEvents != n/100 || backlog.PendingDeliveries != n/20 {
			b.Fatalf("backlog %+v", backlog)
		}
	}
}
