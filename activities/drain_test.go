package activities

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// TestReleaseHeldPageDeliversInEventOrder: once a paused webhook is
// resumed, its held deliveries are attempted one at a time in the order
// their events happened; one that fails is handed to its event's workflow
// (pending, due when its attempt said), and the page ends when none is
// left.
func TestReleaseHeldPageDeliversInEventOrder(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK, http.StatusServiceUnavailable, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.PauseWebhook()); err != nil || !moved {
		t.Fatalf("pause: %v %v", moved, err)
	}
	base := models.Now()
	var events []*models.Event
	for _, offset := range []time.Duration{2 * time.Second, 0, time.Second} { // created out of event order
		e := createEvent(t, a, f, models.EventOpen, func(e *models.Event) { e.OccurredAt = base.Add(offset) })
		if res, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil || res.Held != 1 {
			t.Fatalf("first attempts: %+v %v", res, err)
		}
		events = append(events, e)
	}
	if n := len(rc.received()); n != 0 {
		t.Fatalf("receiver got %d requests while paused", n)
	}

	if res, err := a.ReleaseHeldPage(t.Context(), w.ID); err != nil || !res.Stopped || res.Released != 0 {
		t.Errorf("page while paused: %+v %v, want stopped with nothing released", res, err)
	}
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.ResumeWebhook()); err != nil || !moved {
		t.Fatalf("resume: %v %v", moved, err)
	}
	res, err := a.ReleaseHeldPage(t.Context(), w.ID)
	if err != nil || !res.Done || res.Released != 3 {
		t.Fatalf("page: %+v %v, want 3 released and done", res, err)
	}
	var order []string
	for _, r := range rc.received() {
		order = append(order, r.Header.Get("webhook-id"))
	}
	wantOrder := []string{deliveryOf(t, a, events[1].ID, w.ID).ID, deliveryOf(t, a, events[2].ID, w.ID).ID, deliveryOf(t, a, events[0].ID, w.ID).ID}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("received %v, want event order %v", order, wantOrder)
	}
	failed := deliveryOf(t, a, events[2].ID, w.ID)
	if failed.Status != models.DeliveryPending || failed.NextAttemptAt == nil || failed.Attempts != 1 {
		t.Errorf("delivery whose released attempt failed: %+v, want pending with its next attempt due", failed)
	}
	if !slices.Equal(*runs.continued, []string{failed.ID}) {
		t.Errorf("handed to the delivery workflow: %v, want [%s]", *runs.continued, failed.ID)
	}
	for _, e := range []*models.Event{events[0], events[1]} {
		if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliverySucceeded {
			t.Errorf("delivery %+v, want succeeded", d)
		}
		if ev, err := models.Get[models.Event](t.Context(), a.Store, e.ID); err != nil || ev.SettledAt == nil {
			t.Errorf("event %s settled at %v (err %v), want settled", e.ID, ev.SettledAt, err)
		}
	}
}

// TestReleaseHeldPageHoldsAgainWhatItCouldNotSeeThrough: a released
// delivery whose attempt failed cannot be handed to its event's workflow
// (Temporal is down): the page fails, to be tried again, and the delivery
// is held again, so that the next try releases it, rather than pending
// with nothing to drive it until the reconciler.
func TestReleaseHeldPageHoldsAgainWhatItCouldNotSeeThrough(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.PauseWebhook()); err != nil || !moved {
		t.Fatalf("pause: %v %v", moved, err)
	}
	e := createEvent(t, a, f, models.EventOpen)
	if res, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil || res.Held != 1 {
		t.Fatalf("first attempts: %+v %v", res, err)
	}
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.ResumeWebhook()); err != nil || !moved {
		t.Fatalf("resume: %v %v", moved, err)
	}

	*runs.down = true
	if res, err := a.ReleaseHeldPage(t.Context(), w.ID); err == nil {
		t.Fatalf("page with Temporal down: %+v, want an error to be tried again", res)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryHeld || d.Attempts != 1 {
		t.Fatalf("delivery after the failed page: %+v, want held again after its attempt", d)
	}

	*runs.down = false
	res, err := a.ReleaseHeldPage(t.Context(), w.ID)
	if err != nil || !res.Done || res.Released != 1 {
		t.Fatalf("page tried again: %+v %v, want 1 released and done", res, err)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliverySucceeded || d.Attempts != 2 {
		t.Errorf("delivery %+v, want succeeded on attempt 2", d)
	}
}

// TestHoldingForAWebhookResumedMeanwhileAsksTheDrainToLookAgain: the
// webhook was paused when read, and resumed before its delivery was held;
// its drain may have looked already, so the hold asks it to look again.
func TestHoldingForAWebhookResumedMeanwhileAsksTheDrainToLookAgain(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	f := createAudience(t, a)
	w := createWebhook(t, a, newReceiver(t, answering(http.StatusOK)).URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if _, err := a.Store.ReopenDelivery(t.Context(), &d, models.DeliverySucceeded); err != nil {
		t.Fatal(err)
	}
	stale := *w
	stale.Status = models.WebhookPaused // as read before the resume

	out, err := a.hold(t.Context(), &d, &stale)
	if err != nil || out.Status != models.DeliveryHeld {
		t.Fatalf("hold: %+v %v", out, err)
	}
	if !slices.Equal(*runs.released, []string{w.ID}) {
		t.Errorf("drains asked to look again: %v, want [%s]", *runs.released, w.ID)
	}
}

// TestReconcilerReleasesWhatActiveWebhooksStillHold: the safety net for a
// release that was lost.
func TestReconcilerReleasesWhatActiveWebhooksStillHold(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	a.Settings.ReconcileAfter = time.Minute
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.PauseWebhook()); err != nil || !moved {
		t.Fatalf("pause: %v %v", moved, err)
	}
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DB(t.Context()).Model(&models.Delivery{}).Where("event_id = ?", e.ID).Update("updated_at", models.Now().Add(-time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	if res, err := a.ReconcileEvents(t.Context()); err != nil || res.Drained != 0 {
		t.Errorf("while paused: %+v %v, want nothing released", res, err)
	}
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.ResumeWebhook()); err != nil || !moved {
		t.Fatalf("resume: %v %v", moved, err)
	}
	if res, err := a.ReconcileEvents(t.Context()); err != nil || res.Drained != 1 || !slices.Equal(*runs.released, []string{w.ID}) {
		t.Errorf("once active: %+v %v, released %v; want %s released", res, err, *runs.released, w.ID)
	}
}
