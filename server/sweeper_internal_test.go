package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestSweeperBackoffDoublesUpToItsCap(t *testing.T) {
	const every, max = 30 * time.Second, 5 * time.Minute
	var got []time.Duration
	b := time.Duration(0)
	for range 7 {
		b = nextBackoff(b, every, max)
		got = append(got, b)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoffs %v, want %v", got, want)
		}
	}
	if b := nextBackoff(0, time.Hour, max); b != max {
		t.Errorf("first backoff %v with every above the cap, want the cap %v", b, max)
	}
}

// slowStarts is a Temporal that answers, slowly: StartDelivery waits for
// its context. Its other methods are not called here.
type slowStarts struct {
	Workflows
	calls atomic.Int64
}

func (w *slowStarts) StartDelivery(ctx context.Context, _ *models.Event) error {
	w.calls.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// A pass that runs out of its time (two thirds of the lease) in the middle
// of a start has not seen Temporal fail: the sweeper does not back off, so
// a backlog longer than a pass, as after a Temporal outage, is swept one
// pass a tick rather than one every MaxBackoff.
func TestSweeperPassOutOfTimeIsNotTemporalFailing(t *testing.T) {
	store := modelstest.Open(t)
	now := models.Now()
	since := now.Add(-time.Hour)
	// A webhook wants the event, or the sweeper would settle it unstarted.
	w := models.Webhook{ID: models.NewID(models.PrefixWebhook), Owned: models.Owned{AccountID: models.DefaultAccountID}, URL: "https://example.com/hook",
		Events: []models.EventType{models.EventOpen}, Format: models.FormatJSON, Status: models.WebhookActive, ActiveSince: &since, Secret: "whsec_x"}
	e := models.Event{ID: models.NewID(models.PrefixEvent), AccountID: models.DefaultAccountID, Type: models.EventOpen, OccurredAt: now, ReceivedAt: now}
	for _, row := range []any{&w, &e} {
		if err := store.Create(t.Context(), row); err != nil {
			t.Fatal(err)
		}
	}
	wf := &slowStarts{}
	s := New(Options{Store: store, Workflows: wf})
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })

	sw := &sweeper{server: s, opts: SweepOptions{Every: time.Second, Lease: 300 * time.Millisecond}.withDefaults()}
	sw.tick(t.Context())
	if !sw.held || wf.calls.Load() != 1 {
		t.Fatalf("the pass made %d starts (lease held: %v), want 1", wf.calls.Load(), sw.held)
	}
	if sw.backoff != 0 || !sw.resumeAt.IsZero() {
		t.Errorf("the sweeper backs off for %v (until %v) after a pass ran out of time", sw.backoff, sw.resumeAt)
	}
}
