package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func batchedWebhook(t *testing.T, store *models.Store, maxEvents int) *models.Webhook {
	t.Helper()
	return deliveryStoreWebhook(t, store, func(w *models.Webhook) {
		w.Batch = &models.WebhookBatch{MaxEvents: maxEvents, MaxWaitMS: 1000}
	})
}

func eventIDs(events []*models.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// TestStoringEventsForABatchedWebhookWritesItsOutbox: in the transaction
// that stores the events, each event a batched webhook wants gets a batch
// item, in the order the events came (not the client-id order they are
// inserted in); an event only batched webhooks want is stored dispatched
// and settled (it starts no workflow, and the reconciler does not take it
// for lost); one an unbatched webhook wants too is left to its workflow.
func TestStoringEventsForABatchedWebhookWritesItsOutbox(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	batched := batchedWebhook(t, store, 3)
	onlyBatched := []*models.Event{newEvent("z"), newEvent("a"), newEvent(""), newEvent("m")}
	if err := store.CreateEvents(ctx, onlyBatched); err != nil {
		t.Fatal(err)
	}
	items, err := store.WaitingBatchItems(ctx, batched.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.EventID)
	}
	if want := eventIDs(onlyBatched); !slices.Equal(got, want) {
		t.Fatalf("waiting items %v, want the events in the order they came %v", got, want)
	}
	for _, e := range onlyBatched {
		stored, err := models.Get[models.Event](ctx, store, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.DispatchedAt == nil || stored.SettledAt == nil || e.DispatchedAt == nil {
			t.Errorf("event %s only a batched webhook wants: dispatched %v, settled %v; want both set when stored", e.ID, stored.DispatchedAt, stored.SettledAt)
		}
	}
	if unsettled, err := store.UnsettledEvents(ctx, models.Now().Add(time.Hour), models.Now().Add(time.Hour), 10); err != nil || len(unsettled) != 0 {
		t.Errorf("unsettled events %d (err %v), want none: the reconciler must not take batched events for lost", len(unsettled), err)
	}

	single := deliveryStoreWebhook(t, store, nil)
	both := newEvent("")
	if err := store.CreateEvents(ctx, []*models.Event{both}); err != nil {
		t.Fatal(err)
	}
	if both.DispatchedAt != nil || both.SettledAt != nil {
		t.Errorf("an event an unbatched webhook (%s) wants too was stored dispatched %v / settled %v; its workflow must start", single.ID, both.DispatchedAt, both.SettledAt)
	}
	batching, err := store.WebhooksBatchingEvent(ctx, both.ID)
	if err != nil || !batching[batched.ID] || batching[single.ID] {
		t.Errorf("webhooks batching the event: %v (err %v), want only %s", batching, err, batched.ID)
	}
}

// TestABatchIsCollectedInOneTransaction: collecting waiting items makes one
// pending delivery of type "batch" that counts and lists them in order;
// they wait no more, and collecting them again is a conflict that writes
// nothing.
func TestABatchIsCollectedInOneTransaction(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := batchedWebhook(t, store, 3)
	events := []*models.Event{newEvent(""), newEvent(""), newEvent(""), newEvent(""), newEvent("")}
	if err := store.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	items, err := store.WaitingBatchItems(ctx, w.ID, w.Batch.MaxEvents)
	if err != nil || len(items) != 3 {
		t.Fatalf("waiting items %d (err %v), want the first 3", len(items), err)
	}
	if _, err := store.UnattemptedBatch(ctx, w.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("an unattempted batch before any was collected: %v", err)
	}
	d, err := store.CreateBatchDelivery(ctx, w, items)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := models.Get[models.Delivery](ctx, store, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.IsBatch() || stored.EventCount != 3 || stored.Status != models.DeliveryPending || !models.HasPrefix(stored.EventID, models.PrefixBatch) || stored.WebhookID != w.ID {
		t.Errorf("batch delivery %+v, want a pending batch of 3 to %s named bat_…", stored, w.ID)
	}
	ids, err := store.BatchEventIDs(ctx, d.ID)
	if err != nil || !slices.Equal(ids, eventIDs(events[:3])) {
		t.Errorf("batch events %v (err %v), want %v", ids, err, eventIDs(events[:3]))
	}
	if again, err := store.UnattemptedBatch(ctx, w.ID); err != nil || again.ID != d.ID {
		t.Errorf("unattempted batch %v (err %v), want %s: a collector that died finds it", again, err, d.ID)
	}
	if _, err := store.CreateBatchDelivery(ctx, w, items); !errors.Is(err, models.ErrConflict) {
		t.Errorf("collecting the same items again: %v, want ErrConflict", err)
	}
	rest, err := store.WaitingBatchItems(ctx, w.ID, 10)
	if err != nil || len(rest) != 2 || rest[0].EventID != events[3].ID {
		t.Errorf("still waiting %d items (err %v), want the last 2 in order", len(rest), err)
	}
	var n int64
	if err := store.DB(ctx).Model(&models.Delivery{}).Where("webhook_id = ?", w.ID).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d deliveries (err %v), want 1: the conflict wrote nothing", n, err)
	}
	waiting, err := store.WebhooksWithWaitingBatches(ctx, models.Now().Add(time.Minute), 10)
	if err != nil || !slices.Contains(waiting, w.ID) {
		t.Errorf("webhooks with waiting batches %v (err %v), want %s", waiting, err, w.ID)
	}
	if err := store.DropWaitingBatchItems(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if rest, _ := store.WaitingBatchItems(ctx, w.ID, 10); len(rest) != 0 {
		t.Errorf("%d items wait after dropping them", len(rest))
	}
	if ids, _ := store.BatchEventIDs(ctx, d.ID); len(ids) != 3 {
		t.Errorf("dropping waiting items took %d of the batch's 3", 3-len(ids))
	}
}

// TestBatchSettingsAreEditedAndCleared: an edit sets and clears a webhook's
// batch settings like any other part.
func TestBatchSettingsAreEditedAndCleared(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := deliveryStoreWebhook(t, store, nil)
	set := &models.WebhookBatch{MaxEvents: 50, MaxWaitMS: 200}
	for _, want := range []*models.WebhookBatch{set, nil} {
		edit := models.WebhookEdit{Batch: &want}
		got, err := models.ReviseOwned(ctx, store, w.AccountID, w.ID, models.Precondition{},
			func(*models.Store, *models.Webhook) (models.Change, error) { return edit.Change(), nil }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if reread, err := models.Get[models.Webhook](ctx, store, w.ID); err != nil || (reread.Batch == nil) != (want == nil) {
			t.Fatalf("stored batch %+v (err %v), want %+v", reread, err, want)
		}
		if (got.Batch == nil) != (want == nil) || (want != nil && *got.Batch != *want) {
			t.Errorf("batch %+v, want %+v", got.Batch, want)
		}
	}
}

// TestEventsStoredWithoutBatchItemsStayWithTheirWorkflow: the sweeper's
// matching of events stored before (with no batch item) keeps batched
// webhooks among the event's webhooks, so its workflow delivers it to
// them, rather than settling it as unwanted.
func TestEventsStoredWithoutBatchItemsStayWithTheirWorkflow(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := batchedWebhook(t, store, 10)
	e := newEvent("")
	if err := store.Create(ctx, e); err != nil { // as before events were matched
		t.Fatal(err)
	}
	refs := []models.EventRef{e.Ref()}
	if err := store.MatchEventRefs(ctx, refs); err != nil {
		t.Fatal(err)
	}
	if !refs[0].Wanted() || !slices.Equal(refs[0].WebhookIDs, []string{w.ID}) {
		t.Errorf("matched %v (wanted %v), want the batched webhook %s: no batch has the event", refs[0].WebhookIDs, refs[0].Wanted(), w.ID)
	}
	if items, _ := store.WaitingBatchItems(ctx, w.ID, 10); len(items) != 0 {
		t.Errorf("matching stored events wrote %d batch items", len(items))
	}
}

// TestRetentionKeepsBatchedEventsUntilTheirBatchGoes: an event waiting for
// its batch (stored settled) is not pruned, nor one in a kept batch; once
// its batch delivery is pruned, its items go, and then the event.
func TestRetentionKeepsBatchedEventsUntilTheirBatchGoes(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := batchedWebhook(t, store, 1)
	waiting, batched := newEvent(""), newEvent("")
	if err := store.CreateEvents(ctx, []*models.Event{batched, waiting}); err != nil {
		t.Fatal(err)
	}
	items, err := store.WaitingBatchItems(ctx, w.ID, 1)
	if err != nil || len(items) != 1 || items[0].EventID != batched.ID {
		t.Fatalf("waiting %v (err %v)", items, err)
	}
	d, err := store.CreateBatchDelivery(ctx, w, items)
	if err != nil {
		t.Fatal(err)
	}
	later := models.Now().Add(time.Hour)
	if b, err := store.PruneEvents(ctx, later, "", 10); err != nil || b.Deleted != 0 {
		t.Fatalf("pruned %d events (err %v) waiting or in a kept batch, want none", b.Deleted, err)
	}
	if _, err := store.FailPendingDelivery(ctx, d.ID, "gave up"); err != nil {
		t.Fatal(err)
	}
	if b, err := store.PruneDeliveries(ctx, later, "", 10); err != nil || b.Deleted != 1 {
		t.Fatalf("pruned %d deliveries (err %v), want the batch", b.Deleted, err)
	}
	if b, err := store.PruneEvents(ctx, later, "", 10); err != nil || b.Deleted != 1 {
		t.Fatalf("pruned %d events (err %v), want the batch's event only", b.Deleted, err)
	}
	if _, err := models.Get[models.Event](ctx, store, waiting.ID); err != nil {
		t.Errorf("the waiting event: %v", err)
	}
}

// TestAHeldBatchTakesItsPlaceByWhenItWasCollected: a webhook's drain
// releases a held batch (no event row of its own) among its single held
// deliveries by when the batch was collected.
func TestAHeldBatchTakesItsPlaceByWhenItWasCollected(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Status = models.WebhookPaused })
	held := func(occurred time.Time) models.Delivery {
		e := newEvent("")
		e.OccurredAt = occurred
		if err := store.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
		ds, err := store.EnsureDeliveries(ctx, e, []models.Webhook{*w})
		if err != nil {
			t.Fatal(err)
		}
		return ds[0]
	}
	before := held(models.Now().Add(-30 * time.Minute))
	batch := models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: models.Owned{AccountID: models.DefaultAccountID}, EventID: models.NewID(models.PrefixBatch),
		EventType: models.EventBatch, EventCount: 2, WebhookID: w.ID, Status: models.DeliveryHeld}
	if err := store.Create(ctx, &batch); err != nil {
		t.Fatal(err)
	}
	after := held(models.Now().Add(30 * time.Minute))
	got, err := store.HeldDeliveries(ctx, w.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if want := []string{before.ID, batch.ID, after.ID}; !slices.Equal(ids, want) {
		t.Errorf("held in order %v, want %v", ids, want)
	}
}
