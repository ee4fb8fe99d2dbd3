package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/server"
)

// sweep runs api's sweeper until the returned function, also called when
// the test ends, stops it and waits for it to return.
func sweep(t testing.TB, api *server.Server, opts server.SweepOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		api.SweepUndispatched(ctx, opts)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("SweepUndispatched did not return 10s after its context ended")
		}
	})
	t.Cleanup(stop)
	return stop
}

// seedUndispatched stores n events straight in the database, as if their
// dispatch had been lost, and returns their ids in order.
func seedUndispatched(t testing.TB, store *models.Store, n int) []string {
	t.Helper()
	subscribeToAll(t, store)
	ids := make([]string, n)
	for i := range ids {
		now := models.Now()
		// Stored as before events were matched when stored: the sweeper
		// matches them.
		e := models.Event{ID: models.NewID(models.PrefixEvent), AccountID: models.DefaultAccountID, Type: models.EventOpen, OccurredAt: now, ReceivedAt: now}
		if err := store.Create(t.Context(), &e); err != nil {
			t.Fatal(err)
		}
		ids[i] = e.ID
	}
	return ids
}

// TestUndispatchedEventsAreSwept: an event whose delivery could not be
// started is still accepted, and the sweeper starts it once Temporal is back.
func TestUndispatchedEventsAreSwept(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	api := newAPI(t, keepStore(&store), withWorkflows(wf))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
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

	sweep(t, api, server.SweepOptions{Every: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	// While Temporal stays down the sweeper keeps trying and leaves the event undispatched.
	eventually(t, func() bool { return countOf(wf.recorded().DeliveryAttempts, id) >= 3 }, func() string {
		return "the sweeper did not retry the undispatched event"
	})
	if e := storedEvent(t, store, "id = ?", id); e.DispatchedAt != nil {
		t.Fatalf("event marked dispatched by a failed sweep: %+v", e)
	}

	wf.failDeliveries(nil)
	waitDispatched(t, store)
	wantStartedOnce(t, wf, id)
}

// TestSweeperBacksOffFromTemporal: a pass stops at Temporal's first failure,
// passes come at doubling intervals, and the next pass goes on with the
// next event, so a failure at the front holds nobody up.
func TestSweeperBacksOffFromTemporal(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	api := newAPI(t, keepStore(&store), withWorkflows(wf))
	ids := seedUndispatched(t, store, 10)
	wf.failDeliveries(errors.New("temporal unavailable"))

	const every = 10 * time.Millisecond
	sweep(t, api, server.SweepOptions{Every: every, MaxBackoff: time.Hour})
	eventually(t, func() bool { return len(wf.recorded().DeliveryAttempts) >= 5 }, func() string {
		return fmt.Sprintf("%d attempts", len(wf.recorded().DeliveryAttempts))
	})
	calls := wf.recorded()
	if got := calls.DeliveryAttempts[:5]; strings.Join(got, ",") != strings.Join(ids[:5], ",") {
		t.Errorf("passes tried %v, want one event each, in order: %v", got, ids[:5])
	}
	// Pauses of 1, 2, 4 and 8 times every, each from a failure to the next
	// pass, separate the five attempts (15 in all; without backoff they
	// would be 4); a slow machine only lengthens them.
	if gap := calls.AttemptTimes[4].Sub(calls.AttemptTimes[0]); gap < 12*every {
		t.Errorf("five failing passes within %v, want at least %v from first to last", gap, 12*every)
	}

	wf.failDeliveries(nil)
	waitDispatched(t, store)
	wantStartedOnce(t, wf, ids...)
}

// TestSweeperSkipsWhatItCannotStart: a row whose data no longer decodes, an
// event of an unknown type and one Temporal refuses hold none of the
// others up; the sweeper reports them and goes on.
func TestSweeperSkipsWhatItCannotStart(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	api := newAPI(t, keepStore(&store), withWorkflows(wf))
	h := api.Handler()
	ids := seedUndispatched(t, store, 40)
	unreadable, unknownType, refused := ids[0], ids[1], ids[2]

	db := store.DB(t.Context())
	deep := modelstest.DeeplyNestedJSON(10001)
	if err := db.Exec("UPDATE events SET data = ? WHERE id = ?", deep, unreadable).Error; err != nil {
		t.Fatal(err)
	}
	var probe []models.Event
	if err := db.Where("id = ?", unreadable).Find(&probe).Error; err == nil || !strings.Contains(err.Error(), "depth") {
		t.Fatalf("reading the deep row: %v, want encoding/json's depth error", err)
	}
	if err := db.Exec("UPDATE events SET type = 'opened' WHERE id = ?", unknownType).Error; err != nil {
		t.Fatal(err)
	}
	wf.refuseDelivery(refused, serviceerror.NewInvalidArgument("search attribute value too long"))

	sweep(t, api, server.SweepOptions{Every: 10 * time.Millisecond, MaxBackoff: 10 * time.Millisecond, Batch: 7})
	pending := func() []string {
		var left []string
		if err := db.Model(&models.Event{}).Where("dispatched_at IS NULL").Order("id").Pluck("id", &left).Error; err != nil {
			t.Fatal(err)
		}
		return left
	}
	eventually(t, func() bool { return len(pending()) == 2 }, func() string {
		return fmt.Sprintf("undispatched %v, want only %s (unknown type) and %s (refused)", pending(), unknownType, refused)
	})
	if got := pending(); got[0] != unknownType || got[1] != refused {
		t.Errorf("undispatched %v, want [%s %s]", got, unknownType, refused)
	}
	// Skipped events come round again, and are reported each time.
	eventually(t, func() bool { return countOf(wf.recorded().DeliveryAttempts, refused) >= 2 }, func() string {
		return "the refused event was not tried again on the next round"
	})
	calls := wf.recorded()
	if countOf(calls.Deliveries, unreadable) != 1 || countOf(calls.DeliveryAttempts, unknownType) != 0 {
		t.Errorf("unreadable row started %d times (want 1), unknown type %d times (want 0)",
			countOf(calls.Deliveries, unreadable), countOf(calls.DeliveryAttempts, unknownType))
	}
	metrics := do(t, h, http.MethodGet, "/metrics", nil)
	want(t, metrics, http.StatusOK)
	if !strings.Contains(string(metrics.Raw), "hookflow_sweeper_events_skipped_total") ||
		strings.Contains(string(metrics.Raw), "hookflow_sweeper_events_skipped_total 0") {
		t.Errorf("skips not counted in /metrics:\n%s", grepLines(string(metrics.Raw), "skipped"))
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// apiProcess is one of several API servers on one database.
type apiProcess struct {
	name  string
	store *models.Store
	wf    *workflowsDouble
	api   *server.Server
	stop  func()
}

// startAPIProcesses runs an API server with a sweeper per name, each with
// its own connection pool, on one fresh database.
func startAPIProcesses(t *testing.T, lease time.Duration, names ...string) []*apiProcess {
	t.Helper()
	dsn := modelstest.DSN(t)
	var procs []*apiProcess
	for i, name := range names {
		store, err := models.Open(dsn, models.PoolConfig{MaxOpenConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		if i == 0 {
			if err := store.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		p := &apiProcess{name: name, store: store, wf: &workflowsDouble{}}
		p.api = newAPI(t, withStore(store), withWorkflows(p.wf))
		procs = append(procs, p)
	}
	for _, p := range procs {
		p.stop = sweep(t, p.api, server.SweepOptions{Every: 10 * time.Millisecond, Lease: lease, Holder: p.name})
	}
	return procs
}

// leaseOf reads the sweeper's lease.
func leaseOf(t testing.TB, store *models.Store) models.Lease {
	t.Helper()
	var l models.Lease
	if err := store.DB(t.Context()).Take(&l).Error; err != nil {
		t.Fatalf("read the sweeper's lease: %v", err)
	}
	return l
}

// leaderAndFollower waits for one process to sweep seeded events and
// checks the other started none of them.
func leaderAndFollower(t *testing.T, procs []*apiProcess) (leader, follower *apiProcess) {
	t.Helper()
	for round := range 3 {
		seedUndispatched(t, procs[0].store, 15)
		waitDispatched(t, procs[0].store)
		holder := leaseOf(t, procs[0].store).Holder
		for _, p := range procs {
			if p.name == holder {
				leader = p
			} else {
				follower = p
			}
		}
		if leader == nil {
			t.Fatalf("lease holder %q is none of the processes", holder)
		}
		if n := len(follower.wf.recorded().DeliveryAttempts); n != 0 {
			t.Fatalf("round %d: %s holds the lease, yet %s started %d deliveries", round, leader.name, follower.name, n)
		}
	}
	return leader, follower
}

// TestSweeperRunsInOneProcessAtATime: two API servers on one database; only
// the lease holder sweeps, and when it dies the other takes over once the
// lease has expired, or at once when it stopped cleanly and gave it up.
func TestSweeperRunsInOneProcessAtATime(t *testing.T) {
	t.Parallel()
	t.Run("leader dies", func(t *testing.T) {
		t.Parallel()
		// A lease of a second: its holder's passes (two thirds of it) and
		// renewals fit in it on a loaded database; at 300 ms, with passes
		// back to back, it lapsed now and then and the other took over.
		procs := startAPIProcesses(t, time.Second, "api-1", "api-2")
		leader, follower := leaderAndFollower(t, procs)
		ledBefore := len(leader.wf.recorded().DeliveryAttempts)

		// The leader loses its database, as a dead process would: it can
		// neither renew nor give up its lease.
		leader.store.Close()
		expires := leaseOf(t, follower.store).ExpiresAt
		seeded := seedUndispatched(t, follower.store, 15)
		waitDispatched(t, follower.store)
		wantStartedOnce(t, follower.wf, seeded...)
		calls := follower.wf.recorded()
		if first := calls.AttemptTimes[0]; first.Before(expires) {
			t.Errorf("%s started sweeping at %v, before %s's lease expired at %v", follower.name, first, leader.name, expires)
		}
		if n := len(leader.wf.recorded().DeliveryAttempts); n != ledBefore {
			t.Errorf("the dead leader started %d more deliveries", n-ledBefore)
		}
		if holder := leaseOf(t, follower.store).Holder; holder != follower.name {
			t.Errorf("lease held by %q, want %s", holder, follower.name)
		}
	})

	t.Run("leader stops", func(t *testing.T) {
		t.Parallel()
		procs := startAPIProcesses(t, time.Hour, "api-1", "api-2")
		leader, follower := leaderAndFollower(t, procs)
		leader.stop()
		seedUndispatched(t, follower.store, 15)
		waitDispatched(t, follower.store) // within 10 s, though the lease lasts an hour
		if holder := leaseOf(t, follower.store).Holder; holder != follower.name {
			t.Errorf("lease held by %q, want %s", holder, follower.name)
		}
	})
}
