package activities

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// While the database is down, or up but read-only (refusing every write
// with SQLITE_READONLY or MySQL's error 1792), every activity fails
// retryably, soon to be tried again: nothing is given up, and once it
// takes writes again the delivery goes on.
func TestDatabaseOutageIsRetriedSoonWithoutLimit(t *testing.T) {
	for _, fault := range []struct {
		name       string
		begin, end func(*modelstest.Outage)
	}{
		{"down", (*modelstest.Outage).Begin, (*modelstest.Outage).End},
		{"read-only", (*modelstest.Outage).BeginReadOnly, (*modelstest.Outage).EndReadOnly},
	} {
		t.Run(fault.name, func(t *testing.T) { testOutageIsRetriedSoon(t, fault.name, fault.begin, fault.end) })
	}
}

func testOutageIsRetriedSoon(t *testing.T, fault string, begin, end func(*modelstest.Outage)) {
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

	begin(outage)
	steps := map[string]func() error{
		"DeliverFirstAttempts": func() error { _, err := a.DeliverFirstAttempts(t.Context(), newEvent.ID); return err },
		"RetryDelivery":        func() error { return a.RetryDelivery(t.Context(), d.ID) },
		"FailDelivery":         func() error { return a.FailDelivery(t.Context(), d.ID, "retry window ran out") },
		"ReconcileEvents": func() error {
			_, err := (&Activities{Store: store, Runs: fakeRuns{}}).ReconcileEvents(t.Context())
			return err
		},
	}
	if fault == "read-only" {
		// With no event due it only reads, which a read-only database
		// answers: nothing to fail.
		delete(steps, "ReconcileEvents")
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
	end(outage)

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
