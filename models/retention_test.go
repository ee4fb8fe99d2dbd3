package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// retentionFixture writes rows as old as their ids say.
type retentionFixture struct {
	t     *testing.T
	store *models.Store
	hook  *models.Webhook
}

func (f retentionFixture) event(at time.Time, settled bool) *models.Event {
	f.t.Helper()
	e := &models.Event{ID: modelstest.IDAt(models.PrefixEvent, at), Type: models.EventOpen, OccurredAt: at, ReceivedAt: at, DispatchedAt: &at}
	if settled {
		e.SettledAt = &at
	}
	if err := f.store.Create(f.t.Context(), e); err != nil {
		f.t.Fatal(err)
	}
	return e
}

// delivery of e made at, with attempts attempts, in status.
func (f retentionFixture) delivery(e *models.Event, at time.Time, status models.DeliveryStatus, attempts int) *models.Delivery {
	f.t.Helper()
	d := &models.Delivery{ID: modelstest.IDAt(models.PrefixDelivery, at), EventID: e.ID, WebhookID: f.hook.ID, EventType: e.Type,
		Status: status, Attempts: attempts, CreatedAt: at, UpdatedAt: at}
	if err := f.store.Create(f.t.Context(), d); err != nil {
		f.t.Fatal(err)
	}
	for n := 1; n <= attempts; n++ {
		att := &models.DeliveryAttempt{ID: modelstest.IDAt(models.PrefixAttempt, at), DeliveryID: d.ID, Number: n, StatusCode: 503, StartedAt: at}
		if err := f.store.Create(f.t.Context(), att); err != nil {
			f.t.Fatal(err)
		}
	}
	return d
}

func exists[T any](t *testing.T, store *models.Store, id string) bool {
	t.Helper()
	var n int64
	if err := store.DB(t.Context()).Model(new(T)).Where("id = ?", id).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func attemptCount(t *testing.T, store *models.Store, deliveryID string) int64 {
	t.Helper()
	var n int64
	if err := store.DB(t.Context()).Model(&models.DeliveryAttempt{}).Where("delivery_id = ?", deliveryID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Retention deletes finished deliveries, their attempts and settled events
// older than the cutoff, in batches, and keeps whatever still waits to be
// delivered: pending deliveries with their attempts and events, unsettled
// events, and events a newer delivery still refers to.
func TestPruneDeletesOldRowsAndKeepsWhatIsPending(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	f := retentionFixture{t: t, store: store, hook: deliveryStoreWebhook(t, store, nil)}
	now := models.Now()
	cutoff := now.Add(-30 * 24 * time.Hour)
	old, older := cutoff.Add(-time.Hour), cutoff.Add(-48*time.Hour)

	doneEvent := f.event(older, true)
	succeeded := f.delivery(doneEvent, older, models.DeliverySucceeded, 2)
	failedEvent := f.event(old, true)
	failed := f.delivery(failedEvent, old, models.DeliveryFailed, 3)
	quietEvent := f.event(old, true) // matched no webhook
	pendingEvent := f.event(older, false)
	pending := f.delivery(pendingEvent, older, models.DeliveryPending, 4)
	undispatched := f.event(old, false)
	lateEvent := f.event(old, true) // delivered after the cutoff
	late := f.delivery(lateEvent, now.Add(-time.Hour), models.DeliverySucceeded, 1)
	recentEvent := f.event(now, true)
	recent := f.delivery(recentEvent, now, models.DeliveryFailed, 1)

	// Batches of one: every batch moves on, whatever it kept.
	var deliveries, attempts, events int64
	batches := 0
	for after := ""; ; batches++ {
		b, err := store.PruneDeliveries(ctx, cutoff, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		deliveries, attempts = deliveries+b.Deleted, attempts+b.Attempts
		if after = b.Next; after == "" {
			break
		}
	}
	for after := ""; ; {
		b, err := store.PruneEvents(ctx, cutoff, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		events += b.Deleted
		if after = b.Next; after == "" {
			break
		}
	}
	if deliveries != 2 || attempts != 5 || events != 3 || batches != 2 {
		t.Errorf("pruned %d deliveries with %d attempts in %d batches and %d events; want 2 with 5 in 2, and 3",
			deliveries, attempts, batches, events)
	}
	for _, d := range []*models.Delivery{succeeded, failed} {
		if exists[models.Delivery](t, store, d.ID) || attemptCount(t, store, d.ID) != 0 {
			t.Errorf("old %s delivery %s or its attempts are still there", d.Status, d.ID)
		}
	}
	for _, e := range []*models.Event{doneEvent, failedEvent, quietEvent} {
		if exists[models.Event](t, store, e.ID) {
			t.Errorf("old settled event %s is still there", e.ID)
		}
	}
	if !exists[models.Delivery](t, store, pending.ID) || attemptCount(t, store, pending.ID) != 4 {
		t.Error("the old pending delivery or its attempts were pruned")
	}
	for name, e := range map[string]*models.Event{"pending delivery's": pendingEvent, "undispatched": undispatched, "late-delivered": lateEvent, "recent": recentEvent} {
		if !exists[models.Event](t, store, e.ID) {
			t.Errorf("the %s event was pruned", name)
		}
	}
	for _, d := range []*models.Delivery{late, recent} {
		if !exists[models.Delivery](t, store, d.ID) || attemptCount(t, store, d.ID) != 1 {
			t.Errorf("recent delivery %s or its attempt was pruned", d.ID)
		}
	}

	// What is left is not looked at again: a second pass finds nothing.
	if b, err := store.PruneDeliveries(ctx, cutoff, "", 100); err != nil || b != (models.PruneBatch{}) {
		t.Errorf("second pass over deliveries: %+v, %v; want nothing", b, err)
	}
}

func TestPruneIdempotentRequestsInBatches(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	for i, age := range []time.Duration{0, time.Hour, 25 * time.Hour, 26 * time.Hour, 27 * time.Hour} {
		rec, first, err := store.BeginIdempotentRequest(ctx, models.DefaultAccountID, "key-"+string(rune('a'+i)), "hash")
		if err != nil || !first {
			t.Fatalf("claim: %v %v", first, err)
		}
		if err := store.DB(ctx).Model(rec).Update("created_at", models.Now().Add(-age)).Error; err != nil {
			t.Fatal(err)
		}
	}
	var pruned []int64
	for {
		n, err := store.PruneIdempotentRequests(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		pruned = append(pruned, n)
		if n < 2 {
			break
		}
	}
	var left int64
	if err := store.DB(ctx).Model(&models.IdempotentRequest{}).Count(&left).Error; err != nil {
		t.Fatal(err)
	}
	if len(pruned) != 2 || pruned[0] != 2 || pruned[1] != 1 || left != 2 {
		t.Errorf("pruned %v in batches of 2, %d left; want [2 1] and the 2 within the window", pruned, left)
	}
}

// BenchmarkPrune prunes 20,000 old finished deliveries (2 attempts each)
// and their 20,000 events in batches of 500, as the retention activity
// does, and reports what one batch (one transaction) takes: how long the
// tables see its locks.
func BenchmarkPrune(b *testing.B) {
	const n, batch = 20_000, 500
	for b.Loop() {
		b.StopTimer()
		store := modelstest.Open(b)
		ctx := b.Context()
		at := models.Now().Add(-40 * 24 * time.Hour)
		events := make([]models.Event, n)
		deliveries := make([]models.Delivery, n)
		attempts := make([]models.DeliveryAttempt, 0, 2*n)
		for i := range events {
			e := &events[i]
			e.ID, e.Type, e.OccurredAt, e.ReceivedAt, e.SettledAt = modelstest.IDAt(models.PrefixEvent, at), models.EventOpen, at, at, &at
			d := &deliveries[i]
			d.ID, d.EventID, d.WebhookID, d.Status, d.CreatedAt, d.UpdatedAt = modelstest.IDAt(models.PrefixDelivery, at), e.ID, "wh_bench", models.DeliverySucceeded, at, at
			for number := 1; number <= 2; number++ {
				attempts = append(attempts, models.DeliveryAttempt{ID: modelstest.IDAt(models.PrefixAttempt, at), DeliveryID: d.ID, Number: number, StartedAt: at})
			}
		}
		for _, rows := range []any{events, deliveries, attempts} {
			if err := store.DB(ctx).CreateInBatches(rows, 1000).Error; err != nil {
				b.Fatal(err)
			}
		}
		cutoff := models.Now().Add(-30 * 24 * time.Hour)
		b.StartTimer()
		began, batches := time.Now(), 0
		var slowest time.Duration
		for _, prune := range []func(context.Context, time.Time, string, int) (models.PruneBatch, error){store.PruneDeliveries, store.PruneEvents} {
			for after := ""; ; batches++ {
				start := time.Now()
				res, err := prune(ctx, cutoff, after, batch)
				if err != nil {
					b.Fatal(err)
				}
				slowest = max(slowest, time.Since(start))
				if after = res.Next; after == "" {
					break
				}
			}
		}
		b.ReportMetric(float64(time.Since(began).Milliseconds())/float64(batches), "ms/batch")
		b.ReportMetric(float64(slowest.Milliseconds()), "ms/slowest-batch")
		b.ReportMetric(float64(4*n)/time.Since(began).Seconds(), "rows/s")
	}
}
