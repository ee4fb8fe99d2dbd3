package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// TestUndispatchedEventsAreSwept: an event whose delivery could not be
// started is still accepted, and the sweeper starts it once Temporal is back.
func TestUndispatchedEventsAreSwept(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	api := newAPI(t, keepStore(&store), withWorkflows(wf))
	h := api.Handler()
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile).str("id")

	waitDispatched(t, store)
	wf.failDeliveries(errors.New("temporal unavailable"))
	r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "bounce", "message_id": msg, "data": map[string]any{"code": "550"}})
	want(t, r, http.StatusAccepted)
	id := r.str("id")
	if r.Body["duplicate"] != false || id == "" {
		t.Fatalf("POST answered %s", r.Raw)
	}
	eventually(t, func() bool { return countOf(wf.recorded().DeliveryAttempts, id) == 1 }, func() string {
		return fmt.Sprintf("StartDelivery attempts %v, want one for %s", wf.recorded().DeliveryAttempts, id)
	})
	if e := storedEvent(t, store, "id = ?", id); e.DispatchedAt != nil {
		t.Fatalf("event marked dispatched although StartDelivery failed: %+v", e)
	}
	calls := wf.recorded()
	if countOf(calls.DeliveryAttempts, id) != 1 || countOf(calls.Deliveries, id) != 0 {
		t.Fatalf("StartDelivery attempts %v, successes %v; want one failed attempt for %s", calls.DeliveryAttempts, calls.Deliveries, id)
	}

	ctx, cancel := context.WithCancel(t.Context())
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		api.SweepUndispatched(ctx, 10*time.Millisecond, 0)
	}()
	defer func() {
		cancel()
		<-swept
	}()

	// While Temporal stays down the sweeper keeps trying and leaves the event undispatched.
	for deadline := time.Now().Add(5 * time.Second); countOf(wf.recorded().DeliveryAttempts, id) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not retry the undispatched event")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if e := storedEvent(t, store, "id = ?", id); e.DispatchedAt != nil {
		t.Fatalf("event marked dispatched by a failed sweep: %+v", e)
	}

	wf.failDeliveries(nil)
	for deadline := time.Now().Add(5 * time.Second); storedEvent(t, store, "id = ?", id).DispatchedAt == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("event still undispatched after 5s; calls %+v", wf.recorded())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-swept:
	case <-time.After(5 * time.Second):
		t.Fatal("SweepUndispatched did not return after its context ended")
	}
	if n := countOf(wf.recorded().Deliveries, id); n != 1 {
		t.Errorf("delivery of %s started %d times, want once", id, n)
	}
	if n := len(storedEvents(t, store, "dispatched_at IS NULL")); n != 0 {
		t.Errorf("%d events left undispatched", n)
	}
}
