package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/workflows"
)

// processFaultSettings keep the process fault tests short: a failed
// attempt is retried within a second or two.
var processFaultSettings = activities.Settings{
	RequestTimeout:  2 * time.Second,
	RetryWindow:     time.Hour,
	FirstRetryDelay: 300 * time.Millisecond,
	MaxRetryDelay:   time.Second,
}

// processFaultSweep runs the API's sweeper as hookflow server does, only
// sooner: an event whose workflow the dispatcher could not start (Temporal
// down, or too slow to answer within 3 s on a loaded machine) is started
// within seconds.
var processFaultSweep = server.SweepOptions{Every: time.Second, MinAge: 2 * time.Second, MaxBackoff: 2 * time.Second}

// A worker process is killed (SIGKILL: no Stop, its sticky queue never
// reset, its workflow tasks and local activities abandoned mid-way) while
// events are being posted and receivers fail every other request; events
// are posted while no worker runs at all; then a new worker process
// starts. Every accepted event reaches both receivers, and a request the
// dead worker sent without recording it arrives again only as a retry,
// with the same webhook-id.
//
// What bounds the recovery: a workflow task the dead worker held (with the
// first attempts or a retry running in it as local activities) times out
// after the workflow task timeout, Temporal's default 10 s, since the
// Starter sets none; tasks Temporal queued on the dead worker's sticky
// queue move to the normal queue after the worker's
// StickyScheduleToStartTimeout, the SDK's default 5 s. Timers that fire
// meanwhile wait for the new worker. So the workflows the dead worker was
// in are taken up within some 15 s of the new worker (the others at
// once), and the last delivery comes when the new worker has got through
// the backlog. Not hit here: a regular activity the dead worker ran (a
// step whose local activity failed three times, say with the database
// down, runs durably) is retried only after its StartToClose: the
// request timeout plus 15 s (attemptMargin) for an attempt, 5 minutes
// (firstAttemptsTimeout) for the first attempts.
func TestNothingIsLostWhenTheWorkerProcessIsKilled(t *testing.T) {
	began := time.Now()
	s := startSystemWith(t, systemOptions{onlyWorkerProcess: true, settings: processFaultSettings, sweep: processFaultSweep})
	t.Logf("database: %s", modelstest.Describe())
	message := s.sendMessage(map[string]any{"email": "ed@example.com"}, map[string]any{})
	receivers := flakyReceivers(s, 2)
	event := map[string]any{"type": "delivery", "message_id": message["id"]}

	var book ledger
	posted := postInBackground(s, &book, event, 120, 8)
	awaitSomeDelivered(t, 40, receivers)
	s.workerProcess.kill()
	killed := time.Now()
	<-posted
	t.Logf("worker process killed with %d of the %d deliveries of the events posted before arrived", delivered(receivers), 2*len(book.acceptedIDs()))

	postAll(s, &book, event, 60, 4) // with no worker at all
	require.Len(t, book.acceptedIDs(), 180, "the API accepts events whatever the worker")
	require.Less(t, delivered(receivers), 2*180, "not everything arrived before the kill")
	restarted := time.Now()
	s.startWorkerProcess()
	t.Logf("no worker for %v; the new worker process took %v to start", time.Since(killed).Round(100*time.Millisecond), time.Since(restarted).Round(100*time.Millisecond))

	book.awaitDelivered(t, "worker process killed, "+modelstest.Describe(), 75*time.Second, receivers...)
	t.Logf("the last delivery arrived %v after the new worker process was started; deliveries by 5 s since: %v", lastArrival(receivers).Sub(restarted).Round(100*time.Millisecond), arrivalsSince(restarted, 5*time.Second, receivers))
	t.Logf("the dispatcher left %v events to the sweeper", s.scrapeAPI().Value("hookflow_dispatch_left_to_sweeper_total"))
	requireEveryDeliverySucceeded(t, s, book.acceptedIDs(), len(receivers))
	t.Logf("test took %v", time.Since(began).Round(100*time.Millisecond))
}

// Temporal is stopped while events are being posted and receivers fail
// every other request, stays down while more are posted, and starts again
// with its state (as a restarted Temporal server on persistent storage
// does). The API keeps accepting events, storing them: those whose
// workflow it could not start, the sweeper starts once Temporal is back.
// The API's and the worker's clients reconnect on their own. Every
// accepted event reaches both receivers; a duplicate is only a retry, with
// the same webhook-id.
func TestNothingIsLostWhenTemporalRestarts(t *testing.T) {
	const downFor = 8 * time.Second
	began := time.Now()
	s := startSystemWith(t, systemOptions{persistentTemporal: true, settings: processFaultSettings, sweep: processFaultSweep})
	t.Logf("database: %s; Temporal on SQLite at %s", modelstest.Describe(), s.persistent.addr)
	message := s.sendMessage(map[string]any{"email": "flo@example.com"}, map[string]any{})
	receivers := flakyReceivers(s, 2)
	event := map[string]any{"type": "delivery", "message_id": message["id"]}

	var book ledger
	posted := postInBackground(s, &book, event, 100, 8)
	awaitSomeDelivered(t, 40, receivers)
	down, starting := s.restartTemporal(func() {
		stopped := time.Now()
		<-posted
		t.Logf("Temporal stopped with %d of the %d deliveries of the events posted before arrived", delivered(receivers), 2*len(book.acceptedIDs()))
		postAll(s, &book, event, 50, 4)
		require.Len(t, book.acceptedIDs(), 150, "the API accepts events while Temporal is down")
		time.Sleep(downFor - time.Since(stopped))
	})
	require.Less(t, delivered(receivers), 2*150, "not everything arrived before Temporal stopped")
	restarted := time.Now()
	t.Logf("Temporal down for %v, of which starting it took %v", down.Round(100*time.Millisecond), starting.Round(100*time.Millisecond))

	book.awaitDelivered(t, "Temporal restarted, "+modelstest.Describe(), 75*time.Second, receivers...)
	t.Logf("the last delivery arrived %v after Temporal was back; deliveries by 5 s since: %v", lastArrival(receivers).Sub(restarted).Round(100*time.Millisecond), arrivalsSince(restarted, 5*time.Second, receivers))
	left := s.scrapeAPI().Value("hookflow_dispatch_left_to_sweeper_total", "reason", "temporal_failing")
	t.Logf("the dispatcher left %v events to the sweeper as Temporal failed (%v in all)", left, s.scrapeAPI().Value("hookflow_dispatch_left_to_sweeper_total"))
	require.Positive(t, left, "events posted while Temporal was down reached it through the sweeper")
	requireEveryDeliverySucceeded(t, s, book.acceptedIDs(), len(receivers))
	t.Logf("test took %v", time.Since(began).Round(100*time.Millisecond))
}

// flakyReceivers registers n receivers for delivery events that answer
// every other request 500 (with no Retry-After: the retry comes after the
// worker's backoff).
func flakyReceivers(s *system, n int) []*receiver {
	var receivers []*receiver
	for range n {
		rc := newReceiver(s.t)
		rc.arrived = make(chan receivedRequest, 2000) // nobody reads it here
		rc.answer = func(n int) int {
			if n%2 == 0 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		s.registerWebhook(rc, "delivery")
		receivers = append(receivers, rc)
	}
	return receivers
}

// postInBackground posts n copies of event from workers goroutines and
// closes the channel it returns when all are answered.
func postInBackground(s *system, book *ledger, event map[string]any, n, workers int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		postAll(s, book, event, n, workers)
	}()
	return done
}

// postAll posts n copies of event from workers goroutines.
func postAll(s *system, book *ledger, event map[string]any, n, workers int) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				book.post(s, event)
			}
		})
	}
	wg.Wait()
}

// delivered counts the receivers' successful deliveries.
func delivered(receivers []*receiver) int {
	n := 0
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status == http.StatusOK {
				n++
			}
		}
	}
	return n
}

// awaitSomeDelivered waits until at least n deliveries have arrived.
func awaitSomeDelivered(t *testing.T, n int, receivers []*receiver) {
	t.Helper()
	require.Eventually(t, func() bool { return delivered(receivers) >= n }, 60*time.Second, 10*time.Millisecond, "%d deliveries", n)
}

// lastArrival is when the last successful delivery arrived.
func lastArrival(receivers []*receiver) time.Time {
	var last time.Time
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status == http.StatusOK && r.At.After(last) {
				last = r.At
			}
		}
	}
	return last
}

// arrivalsSince counts the successful deliveries that arrived after since,
// by period: how recovery went.
func arrivalsSince(since time.Time, period time.Duration, receivers []*receiver) []int {
	var counts []int
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status != http.StatusOK || r.At.Before(since) {
				continue
			}
			i := int(r.At.Sub(since) / period)
			for len(counts) <= i {
				counts = append(counts, 0)
			}
			counts[i]++
		}
	}
	return counts
}

// requireEveryDeliverySucceeded waits for every event's workflow and
// checks that it delivered to all its webhooks.
func requireEveryDeliverySucceeded(t *testing.T, s *system, eventIDs []string, webhooks int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, id := range eventIDs {
		var res workflows.DeliveryResult
		require.NoError(t, s.temporal.GetWorkflow(ctx, workflows.DeliveryWorkflowID(id), "").Get(ctx, &res), "event %s", id)
		require.Equal(t, workflows.DeliveryResult{Webhooks: webhooks, Succeeded: webhooks}, res, "event %s", id)
	}
}
