package activities

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// While the database is down every activity fails retryably, soon to be
// tried again: nothing is given up, and once it is back the delivery goes on.
func TestDatabaseOutageIsRetriedSoonWithoutLimit(t *testing.T) {
	store, outage := modelstest.OpenWithOutage(t)
	a := newActivitiesOn(t, store)
	a.Settings.MaxOutageRetryDelay = 2 * time.Second
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	pendingEvent := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), pendingEvent.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, pendingEvent.ID, w.ID)
	newEvent := createEvent(t, a, f, models.EventClick)

	outage.Begin()
	steps := map[string]func() error{
		"DeliverFirstAttempts": func() error { _, err := a.DeliverFirstAttempts(t.Context(), newEvent.ID); return err },
		"RetryDelivery":        func() error { return a.RetryDelivery(t.Context(), d.ID) },
		"FailDelivery":         func() error { return a.FailDelivery(t.Context(), d.ID, "retry window ran out") },
		"ReconcileEvents": func() error {
			_, err := (&Activities{Store: store, Runs: fakeRuns{}}).ReconcileEvents(t.Context())
			return err
		},
	}
	for name, step := range steps {
		appErr := applicationError(t, step())
		if appErr.NonRetryable() || appErr.Type() != ErrorTypeUnavailable {
			t.Errorf("%s during the outage: %v (type %s), want a retryable %s", name, appErr, appErr.Type(), ErrorTypeUnavailable)
		}
		if delay := appErr.NextRetryDelay(); delay <= 0 || delay > 2*time.Second {
			t.Errorf("%s: NextRetryDelay %v, want within the worker's 2s cap", name, delay)
		}
	}
	outage.End()

	if n := len(rc.received()); n != 1 {
		t.Fatalf("receiver got %d requests, want only the one before the outage", n)
	}
	if err := a.RetryDelivery(t.Context(), d.ID); err != nil {
		t.Fatalf("retry after the outage: %v", err)
	}
	if d := deliveryOf(t, a, pendingEvent.ID, w.ID); d.Status != models.DeliverySucceeded || d.Attempts != 2 {
		t.Errorf("delivery %+v, want succeeded on attempt 2", d)
	}
}

func TestOutageRetryDelayGrowsUpToTheCap(t *testing.T) {
	a := &Activities{Settings: Settings{MaxOutageRetryDelay: 10 * time.Minute}}
	if got := a.settings().MaxOutageRetryDelay; got != OutageRetryDelayLimit {
		t.Errorf("MaxOutageRetryDelay %v, want it held to %v", got, OutageRetryDelayLimit)
	}
	for attempt, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 30: time.Minute} {
		if got := backoff(attempt, firstOutageRetryDelay, a.settings().MaxOutageRetryDelay); got < ceiling/2 || got > ceiling {
			t.Errorf("delay after attempt %d = %v, want within [%v, %v]", attempt, got, ceiling/2, ceiling)
		}
	}
}
