package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
)

// TestAnswersNeverWaitForTemporal: while starting workflows hangs (deaf to
// its timeout) or fails, opens, clicks, submitted events and profile
// changes are still answered as soon as they are stored; once Temporal is
// back, every one of them is started exactly once.
func TestAnswersNeverWaitForTemporal(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"hanging", "failing"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var store *models.Store
			wf := &workflowsDouble{}
			const workers = 2
			api := newAPI(t, keepStore(&store), withWorkflows(wf), withTrackingKey(trackingKey), withDispatch(workers, 4))
			subscribeToAll(t, store) // every event is wanted: its delivery is started
			h := api.Handler()
			a := createAudience(t, h)
			msg := createMessage(t, h, a.Profile, a.Subprofile, "https://example.com/landing")
			open, click := trackingPath(t, msg.str("open_url")), trackingPath(t, clickURLs(msg)[0])
			waitDispatched(t, store)
			before := len(storedEvents(t, store, "1 = 1"))

			release := func() {}
			if mode == "hanging" {
				release = wf.blockDeliveries()
			} else {
				wf.failDeliveries(errors.New("temporal unavailable"))
			}
			defer release()

			type exchange struct {
				what string
				res  response
				want int
			}
			const rounds = 20
			answered := make(chan []exchange, 1)
			go func() {
				var got []exchange
				for i := range rounds {
					got = append(got,
						exchange{"open", do(t, h, http.MethodGet, open, nil, withToken("")), http.StatusOK},
						exchange{"click", do(t, h, http.MethodGet, click, nil, withToken("")), http.StatusFound},
						exchange{"event", do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "delivery", "message_id": msg.str("id")}), http.StatusAccepted},
						exchange{"profile", do(t, h, http.MethodPatch, "/v1/profiles/"+a.Profile, map[string]any{"fields": map[string]any{"n": i}}), http.StatusOK},
					)
				}
				answered <- got
			}()
			select {
			case got := <-answered:
				for _, x := range got {
					if x.res.Code != x.want {
						t.Errorf("%s answered %d, want %d: %s", x.what, x.res.Code, x.want, x.res.Raw)
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("requests unanswered after 10s while Temporal is %s: an answer waits on it", mode)
			}
			if mode == "hanging" {
				if n := wf.blockedCalls(); n != workers {
					t.Errorf("%d StartDelivery calls hanging while the answers came, want %d (one per worker)", n, workers)
				}
			}
			events := storedEvents(t, store, "1 = 1")
			if n := len(events) - before; n != 4*rounds {
				t.Fatalf("%d events stored, want %d", n, 4*rounds)
			}

			// Temporal comes back; the dispatcher finishes what it holds and
			// the sweeper starts whatever it left.
			release()
			wf.failDeliveries(nil)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := api.Shutdown(ctx); err != nil {
				t.Fatalf("dispatcher did not stop: %v", err)
			}
			stopSweeping := sweep(t, api, server.SweepOptions{Every: 5 * time.Millisecond})
			waitDispatched(t, store)
			stopSweeping()
			for _, e := range events {
				wantStartedOnce(t, wf, e.ID)
			}
		})
	}
}

// TestDispatcherStopsCleanly: Shutdown returns once the workflow starts
// under way end, and events accepted afterwards are stored for the sweeper.
func TestDispatcherStopsCleanly(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	api := newAPI(t, keepStore(&store), withWorkflows(wf), withDispatch(1, 10))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	h := api.Handler()
	a := createAudience(t, h)
	waitDispatched(t, store)

	release := wf.blockDeliveries()
	defer release()
	msg := createMessage(t, h, a.Profile, "").str("id")
	first := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "delivery", "message_id": msg})
	want(t, first, http.StatusAccepted)
	eventually(t, func() bool { return wf.blockedCalls() == 1 }, func() string { return "no StartDelivery call under way" })

	stopped := make(chan error, 1)
	go func() { stopped <- api.Shutdown(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a workflow start was under way", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the last start ended")
	}
	if e := storedEvent(t, store, "id = ?", first.str("id")); e.DispatchedAt == nil {
		t.Errorf("the start under way at shutdown was not recorded: %+v", e)
	}

	after := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "bounce", "message_id": msg})
	want(t, after, http.StatusAccepted)
	attempts := len(wf.recorded().DeliveryAttempts)
	time.Sleep(20 * time.Millisecond) // a stopped dispatcher must not pick it up
	if n := len(wf.recorded().DeliveryAttempts); n != attempts {
		t.Errorf("a stopped dispatcher made %d StartDelivery calls", n-attempts)
	}
	if e := storedEvent(t, store, "id = ?", after.str("id")); e.DispatchedAt != nil {
		t.Errorf("event accepted after shutdown marked dispatched: %+v", e)
	}
	if n := len(storedEvents(t, store, "dispatched_at IS NULL")); n != 1 {
		t.Errorf("%d events left for the sweeper, want 1", n)
	}
}

// TestEventNobodyWantsGetsNoWorkflow: an event that matches no webhook
// when it is stored is stored dispatched and settled, and no delivery
// workflow is started for it; once a webhook wants such events, they are
// started as before.
func TestEventNobodyWantsGetsNoWorkflow(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile).str("id")

	unwanted := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg})
	want(t, unwanted, http.StatusAccepted)
	e := storedEvent(t, store, "id = ?", unwanted.str("id"))
	if e.DispatchedAt == nil || e.SettledAt == nil {
		t.Errorf("event nobody wants stored dispatched at %v, settled at %v; want both set", e.DispatchedAt, e.SettledAt)
	}

	subscribeToAll(t, store)
	wanted := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg})
	want(t, wanted, http.StatusAccepted)
	if e := storedEvent(t, store, "id = ?", wanted.str("id")); e.SettledAt != nil {
		t.Errorf("event a webhook wants stored settled at %v", e.SettledAt)
	}
	waitDispatched(t, store)
	wantStartedOnce(t, wf, wanted.str("id"))
	if n := countOf(wf.recorded().Deliveries, unwanted.str("id")); n != 0 {
		t.Errorf("delivery of the event nobody wants started %d times", n)
	}
}
