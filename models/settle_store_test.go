package models_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func dispatchedEvent(t *testing.T, store *models.Store, dispatchedAt time.Time) *models.Event {
	t.Helper()
	e := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: models.EventOpen, OccurredAt: models.Now(), ReceivedAt: models.Now(),
		DispatchedAt: &dispatchedAt,
	}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func settledAt(t *testing.T, store *models.Store, eventID string) *time.Time {
	t.Helper()
	e, err := models.Get[models.Event](t.Context(), store, eventID)
	if err != nil {
		t.Fatal(err)
	}
	return e.SettledAt
}

func TestAnEventSettlesWithItsLastOutcome(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	e := dispatchedEvent(t, store, models.Now())
	w1 := deliveryStoreWebhook(t, store, nil)
	w2 := deliveryStoreWebhook(t, store, nil)
	deliveries, err := store.EnsureDeliveries(ctx, e, []models.Webhook{*w1, *w2})
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := store.HasPendingDeliveries(ctx, e.ID); err != nil || !pending {
		t.Fatalf("pending = %v, %v; want true", pending, err)
	}

	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: deliveries[0].ID, Number: 1, StatusCode: 200, StartedAt: models.Now()}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: att, Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || settled {
		t.Fatalf("settled = %v, %v with one delivery pending; want false", settled, err)
	}
	if settledAt(t, store, e.ID) != nil {
		t.Fatal("settled while a delivery is pending")
	}

	if _, err := store.FailPendingDelivery(ctx, deliveries[1].ID, "retry window ran out"); err != nil {
		t.Fatal(err)
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || !settled {
		t.Fatalf("settled = %v, %v after the last outcome; want true", settled, err)
	}
	first := settledAt(t, store, e.ID)
	if first == nil {
		t.Fatal("not settled after the last outcome")
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || !settled {
		t.Fatalf("settling again: %v, %v; want true", settled, err)
	}
	if again := settledAt(t, store, e.ID); !again.Equal(*first) {
		t.Errorf("settling again moved settled_at from %v to %v", first, again)
	}
}

func TestAnEventWithoutDeliveriesSettlesAtOnce(t *testing.T) {
	store := modelstest.Open(t)
	e := dispatchedEvent(t, store, models.Now())
	if settled, err := store.SettleEventIfDone(t.Context(), e.ID); err != nil || !settled {
		t.Fatalf("settled = %v, %v; want true", settled, err)
	}
}

func TestUnsettledEventsAreListedOnceInAWhile(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	now := models.Now()
	old := dispatchedEvent(t, store, now.Add(-time.Hour))
	older := dispatchedEvent(t, store, now.Add(-2*time.Hour))
	dispatchedEvent(t, store, now) // too recent
	settled := dispatchedEvent(t, store, now.Add(-time.Hour))
	if err := store.SettleEvent(ctx, settled.ID); err != nil {
		t.Fatal(err)
	}
	undispatched := &models.Event{ID: models.NewID(models.PrefixEvent), Type: models.EventOpen, OccurredAt: now, ReceivedAt: now.Add(-time.Hour)}
	if err := store.Create(ctx, undispatched); err != nil {
		t.Fatal(err)
	}

	ids := func() []string {
		t.Helper()
		events, err := store.UnsettledEvents(ctx, now.Add(-time.Minute), now.Add(-10*time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		return ids
	}
	if got := ids(); len(got) != 2 || got[0] != older.ID || got[1] != old.ID {
		t.Fatalf("unsettled = %v, want %s then %s", got, older.ID, old.ID)
	}
	if err := store.MarkReconciled(ctx, older.ID); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 1 || got[0] != old.ID {
		t.Fatalf("unsettled = %v, want only %s: %s was looked at just now", got, old.ID, older.ID)
	}
}

// The unsettled list reads only what the reconciler needs, so an event
// whose data cannot be read is listed like any other.
func TestUnsettledEventsListsUnreadableEvents(t *testing.T) {
	store := modelstest.Open(t)
	now := models.Now()
	dispatched := now.Add(-time.Hour)
	e := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: models.EventBounce, OccurredAt: now, ReceivedAt: now,
		DispatchedAt: &dispatched, Data: modelstest.DeeplyNested(10001),
	}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	events, err := store.UnsettledEvents(t.Context(), now, now, 10)
	if err != nil || len(events) != 1 || events[0].ID != e.ID || events[0].Type != models.EventBounce {
		t.Fatalf("unsettled = %+v, %v; want the unreadable event", events, err)
	}
	if err := store.SettleEvent(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if events, err := store.UnsettledEvents(t.Context(), now, now, 10); err != nil || len(events) != 0 {
		t.Fatalf("unsettled after SettleEvent = %+v, %v; want none", events, err)
	}
}

// A database from before settled_at gets the columns, and the events that
// were done already are marked settled; those still pending are not.
func TestSettledAtMigration(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	done := dispatchedEvent(t, store, models.Now().Add(-time.Hour))
	inFlight := dispatchedEvent(t, store, models.Now().Add(-time.Hour))
	w := deliveryStoreWebhook(t, store, nil)
	if _, err := store.EnsureDeliveries(ctx, inFlight, []models.Webhook{*w}); err != nil {
		t.Fatal(err)
	}

	// Back to the schema before the migration.
	type event struct {
		SettledAt    *time.Time `gorm:"index:idx_events_settled_at"`
		ReconciledAt *time.Time
	}
	m := db.Migrator()
	if err := m.DropIndex(&event{}, "idx_events_settled_at"); err != nil {
		t.Fatal(err)
	}
	for _, column := range []string{"SettledAt", "ReconciledAt"} {
		if err := m.DropColumn(&event{}, column); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612011200_events_settled_at").Error; err != nil {
		t.Fatal(err)
	}

	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if !m.HasColumn(&event{}, "SettledAt") || !m.HasColumn(&event{}, "ReconciledAt") || !m.HasIndex(&event{}, "idx_events_settled_at") {
		t.Fatal("the migration did not add the columns and index")
	}
	if got := settledAt(t, store, done.ID); got == nil || !got.Equal(*done.DispatchedAt) {
		t.Errorf("settled_at of the finished event = %v, want its dispatch time %v", got, done.DispatchedAt)
	}
	if got := settledAt(t, store, inFlight.ID); got != nil {
		t.Errorf("settled_at of the event with a pending delivery = %v, want NULL", got)
	}
}
