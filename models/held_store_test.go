package models_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestPausedAndDisabledWebhooksMatchAndHold: events since a webhook was
// activated match it whether it is active, paused or disabled; the
// deliveries to a paused or disabled one are created held, and held ones
// leave their event settled.
func TestPausedAndDisabledWebhooksMatchAndHold(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	active := webhookIn(t, store, models.WebhookActive)
	paused := webhookIn(t, store, models.WebhookPaused)
	disabled := webhookIn(t, store, models.WebhookDisabled)
	webhookIn(t, store, models.WebhookUnverified)
	webhookIn(t, store, models.WebhookVerificationFailed)

	e := dispatchedEvent(t, store, models.Now())
	e.AccountID = models.DefaultAccountID // as read from its row
	matching, err := store.WebhooksMatching(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, w := range matching {
		got[w.ID] = true
	}
	if want := map[string]bool{active.ID: true, paused.ID: true, disabled.ID: true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("matching %v, want the active, paused and disabled webhooks %v", got, want)
	}
	before := *e
	before.OccurredAt = active.ActiveSince.Add(-time.Minute)
	if early, err := store.WebhooksMatching(ctx, &before); err != nil || len(early) != 0 {
		t.Errorf("an event from before activation matches %d webhooks (err %v), want none", len(early), err)
	}

	deliveries, err := store.EnsureDeliveries(ctx, e, matching)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deliveries {
		want := models.DeliveryHeld
		if d.WebhookID == active.ID {
			want = models.DeliveryPending
		}
		if d.Status != want || d.Attempts != 0 {
			t.Errorf("delivery to %s: %s with %d attempts, want %s with none", d.WebhookID, d.Status, d.Attempts, want)
		}
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || settled {
		t.Errorf("settled %v (err %v) with a pending delivery", settled, err)
	}
	for _, d := range deliveries {
		if d.WebhookID == active.ID {
			if held, err := store.HoldDelivery(ctx, d.ID); err != nil || !held {
				t.Fatalf("holding the pending delivery: %v %v", held, err)
			}
		}
	}
	if settled, err := store.SettleEventIfDone(ctx, e.ID); err != nil || !settled {
		t.Errorf("settled %v (err %v), want settled: held deliveries leave their event settled", settled, err)
	}
	if held, err := store.HoldDelivery(ctx, deliveries[0].ID); err != nil || held {
		t.Errorf("holding a held delivery again: %v %v, want nothing done", held, err)
	}
}

// TestHeldDeliveriesInEventOrder: a webhook's held deliveries come in the
// order their events happened, whatever order they were created in; the
// reconciler finds active webhooks holding deliveries for long.
func TestHeldDeliveriesInEventOrder(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	w := webhookIn(t, store, models.WebhookPaused)
	base := models.Now()
	var events []*models.Event
	for _, offset := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
		e := dispatchedEvent(t, store, base)
		if err := store.DB(ctx).Model(e).Update("occurred_at", base.Add(offset)).Error; err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
		if _, err := store.EnsureDeliveries(ctx, e, []models.Webhook{*w}); err != nil {
			t.Fatal(err)
		}
	}
	held, err := store.HeldDeliveries(ctx, w.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, d := range held {
		order = append(order, d.EventID)
	}
	if want := []string{events[1].ID, events[2].ID, events[0].ID}; !reflect.DeepEqual(order, want) {
		t.Errorf("held in order %v, want event order %v", order, want)
	}
	if page, err := store.HeldDeliveries(ctx, w.ID, 2); err != nil || len(page) != 2 || page[0].EventID != events[1].ID {
		t.Errorf("a page of 2: %+v (err %v)", page, err)
	}
	if n, err := store.CountHeldDeliveries(ctx, w.ID); err != nil || n != 3 {
		t.Errorf("counted %d held (err %v), want 3", n, err)
	}

	later := models.Now().Add(time.Hour)
	if ids, err := store.ActiveWebhooksHoldingSince(ctx, later, 10); err != nil || len(ids) != 0 {
		t.Errorf("a paused webhook listed as active and holding: %v (err %v)", ids, err)
	}
	if moved, err := store.TransitionWebhook(ctx, w.ID, models.ResumeWebhook()); err != nil || !moved {
		t.Fatalf("resume: %v %v", moved, err)
	}
	if ids, err := store.ActiveWebhooksHoldingSince(ctx, later, 10); err != nil || !reflect.DeepEqual(ids, []string{w.ID}) {
		t.Errorf("active webhooks holding: %v (err %v), want %s", ids, err, w.ID)
	}
	if ids, err := store.ActiveWebhooksHoldingSince(ctx, base.Add(-time.Hour), 10); err != nil || len(ids) != 0 {
		t.Errorf("active webhooks holding since an hour before: %v (err %v), want none", ids, err)
	}
	// Released, a delivery is pending again and its event unsettled.
	if reopened, err := store.ReopenDelivery(ctx, &held[0], models.DeliveryHeld); err != nil || !reopened {
		t.Fatalf("reopen held: %v %v", reopened, err)
	}
	if settled, err := store.SettleEventIfDone(ctx, held[0].EventID); err != nil || settled {
		t.Errorf("event of a released delivery settled %v (err %v), want unsettled", settled, err)
	}
}
