package activities

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// fakeRuns is Temporal as the reconciler and operational events see it:
// the state of each event's delivery workflow, and the starts and restarts
// asked for. down makes every start fail, as while Temporal is down.
type fakeRuns struct {
	states    map[string]RunState
	mu        *sync.Mutex
	restarted *[]string
	started   *[]string
	down      *bool
	// released lists the webhooks whose drain was asked for, continued
	// the deliveries handed back to their event's workflow.
	released, continued *[]string
	// probed lists the webhooks whose probe was started.
	probed *[]string
	// batching lists the webhooks whose batching workflow was started.
	batching *[]string
}

func newFakeRuns() fakeRuns {
	return fakeRuns{states: map[string]RunState{}, mu: &sync.Mutex{}, restarted: new([]string), started: new([]string), down: new(bool),
		released: new([]string), continued: new([]string), probed: new([]string), batching: new([]string)}
}

func (f fakeRuns) ContinueDelivery(_ context.Context, d *models.Delivery, _ int, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *f.down {
		return errors.New("temporal is down")
	}
	*f.continued = append(*f.continued, d.ID)
	return nil
}

func (f fakeRuns) StartProbe(_ context.Context, webhookID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.probed = append(*f.probed, webhookID)
	return nil
}

func (f fakeRuns) StartBatching(_ context.Context, webhookID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *f.down {
		return errors.New("temporal is down")
	}
	*f.batching = append(*f.batching, webhookID)
	return nil
}

func (f fakeRuns) ReleaseHeld(_ context.Context, webhookID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.released = append(*f.released, webhookID)
	return nil
}

func (f fakeRuns) DeliveryRunState(_ context.Context, eventID string) (RunState, error) {
	return f.states[eventID], nil
}

func (f fakeRuns) StartDelivery(_ context.Context, e *models.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if *f.down {
		return errors.New("temporal is down")
	}
	*f.started = append(*f.started, e.ID)
	return nil
}

func (f fakeRuns) RestartDelivery(_ context.Context, e *models.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.restarted = append(*f.restarted, e.ID)
	return nil
}

// startedEvents lists the events whose delivery was started, in order.
func (f fakeRuns) startedEvents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(*f.started)
}

func dispatched(t *testing.T, a *Activities, e *models.Event, ago time.Duration) {
	t.Helper()
	if err := a.Store.DB(t.Context()).Model(&models.Event{}).Where("id = ?", e.ID).Update("dispatched_at", models.Now().Add(-ago)).Error; err != nil {
		t.Fatal(err)
	}
}

func TestReconcilerRestartsEventsWhoseWorkflowEndedUnsettled(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	a.Settings.ReconcileAfter = time.Minute
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable))
	createWebhook(t, a, rc.URL)

	running := createEvent(t, a, f, models.EventOpen)
	failed := createEvent(t, a, f, models.EventOpen)
	unknown := createEvent(t, a, f, models.EventOpen)
	completedPending := createEvent(t, a, f, models.EventOpen)
	completedDone := createEvent(t, a, f, models.EventBounce) // no webhook: no delivery
	recent := createEvent(t, a, f, models.EventOpen)
	for _, e := range []*models.Event{running, failed, unknown, completedPending, completedDone} {
		dispatched(t, a, e, time.Hour)
	}
	dispatched(t, a, recent, time.Second)
	if _, err := a.DeliverFirstAttempts(t.Context(), completedPending.ID); err != nil { // leaves a delivery pending
		t.Fatal(err)
	}
	runs.states[running.ID] = RunRunning
	runs.states[failed.ID] = RunEnded
	runs.states[completedPending.ID] = RunCompleted
	runs.states[completedDone.ID] = RunCompleted

	res, err := a.ReconcileEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res != (ReconcileResult{Checked: 5, Running: 1, Settled: 1, Restarted: 3}) {
		t.Errorf("result %+v, want 5 checked: 1 running, 1 settled, 3 restarted", res)
	}
	want := map[string]bool{failed.ID: true, unknown.ID: true, completedPending.ID: true}
	if len(*runs.restarted) != 3 {
		t.Fatalf("restarted %v, want %v", *runs.restarted, want)
	}
	for _, id := range *runs.restarted {
		if !want[id] {
			t.Errorf("restarted %s, want only %v", id, want)
		}
	}
	if eventOf(t, a, completedDone.ID).SettledAt == nil {
		t.Error("the completed event with nothing pending was not settled")
	}
	if eventOf(t, a, running.ID).SettledAt != nil {
		t.Error("the running event was settled")
	}

	// Looked at just now: not asked about again in the next pass.
	res, err = a.ReconcileEvents(t.Context())
	if err != nil || res.Checked != 0 {
		t.Errorf("second pass %+v, %v; want nothing checked", res, err)
	}
}
