package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"gorm.io/gorm"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/workflows"
)

// quickRetries are worker settings that make a receiver's outage of a few
// seconds cost a few attempts, not hours.
var quickRetries = activities.Settings{
	RequestTimeout:  time.Second,
	RetryWindow:     time.Hour,
	FirstRetryDelay: 300 * time.Millisecond,
	MaxRetryDelay:   1500 * time.Millisecond,
}

// postFor posts an event every 100 ms for d, booking every answer, and
// says how many it posted.
func (l *ledger) postFor(s *system, d time.Duration, event map[string]any) int {
	s.t.Helper()
	n := 0
	for start := time.Now(); time.Since(start) < d; n++ {
		require.Equal(s.t, http.StatusAccepted, l.post(s, event), "the API takes events whatever the receivers do")
		time.Sleep(100 * time.Millisecond)
	}
	return n
}

// awaitStatus waits until the webhook has the status.
func (s *system) awaitStatus(webhookID string, status models.WebhookStatus) models.Webhook {
	s.t.Helper()
	var w models.Webhook
	require.Eventually(s.t, func() bool {
		s.call("GET", "/v1/webhooks/"+webhookID, nil, http.StatusOK, &w)
		return w.Status == status
	}, 30*time.Second, 50*time.Millisecond, "webhook %s never became %s", webhookID, status)
	return w
}

// logUndelivered logs every delivery that has not succeeded, with its
// webhook's status and attempts: what a failed fault test needs to say.
func (s *system) logUndelivered() {
	var undispatched int64
	if err := s.store.DB(context.Background()).Model(&models.Event{}).Where("dispatched_at IS NULL").Count(&undispatched).Error; err == nil {
		s.t.Logf("%d events were never dispatched (their workflow not started; the sweeper's to start)", undispatched)
	}
	var deliveries []models.Delivery
	if err := s.store.DB(context.Background()).Where("status <> ?", models.DeliverySucceeded).Find(&deliveries).Error; err != nil {
		s.t.Logf("deliveries not succeeded: %v", err)
		return
	}
	for _, d := range deliveries {
		var w models.Webhook
		_ = s.store.DB(context.Background()).Where("id = ?", d.WebhookID).Take(&w).Error
		var attempts []models.DeliveryAttempt
		_ = s.store.DB(context.Background()).Where("delivery_id = ?", d.ID).Order("number").Find(&attempts).Error
		codes := make([]int, len(attempts))
		for i, a := range attempts {
			codes[i] = a.StatusCode
		}
		s.t.Logf("not delivered: %+v; webhook %s %s; attempts %v", d, w.ID, w.Status, codes)
		for _, id := range []string{workflows.DrainWorkflowID(d.WebhookID), workflows.DeliveryWorkflowID(d.EventID)} {
			s.t.Logf("history of %s: %s", id, strings.Join(retriedSteps(s.closedHistory(id, "")), "; "))
		}
	}
}

// retriedSteps lists a history's events, with the attempt and last failure
// of each activity that was retried.
func retriedSteps(h *historypb.History) []string {
	var steps []string
	for _, e := range h.GetEvents() {
		step := strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_")
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
			step += fmt.Sprintf(" (attempt %d, last failure: %s)", a.GetAttempt(), a.GetLastFailure().GetMessage())
		}
		steps = append(steps, step)
	}
	return steps
}

// A receiver's host goes away (connections refused), comes back answering
// 500, then heals, while events keep coming; meanwhile one webhook is
// paused and resumed and another is disabled by a 410 and re-enabled.
// Every event the API accepted reaches every receiver, a retry of a
// delivery always with its webhook-id.
func TestNothingIsLostWhileAReceiverGoesAwayAndComesBack(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: quickRetries})
	message := s.sendMessage(map[string]any{"email": "oona@example.com"}, map[string]any{})
	event := map[string]any{"type": "delivery", "message_id": message["id"]}

	steady := newReceiver(t)
	flaky := newReceiver(t)
	host := putBehindSwitchboard(t, flaky)
	var failing atomic.Bool
	flaky.answer = func(int) int {
		if failing.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	paused := newReceiver(t)
	gone := newReceiver(t)
	var goneAway atomic.Bool
	gone.answer = func(int) int {
		if goneAway.Load() {
			return http.StatusGone
		}
		return http.StatusOK
	}
	receivers := []*receiver{steady, flaky, paused, gone}
	hooks := map[*receiver]webhookCreated{}
	for _, rc := range receivers {
		rc.arrived = make(chan receivedRequest, 10000)
		hooks[rc] = s.registerWebhook(rc, "delivery")
	}
	t.Cleanup(func() {
		if t.Failed() {
			s.logUndelivered()
		}
	})
	t.Logf("webhooks: steady %s, behind the switchboard %s, paused %s, gone %s", hooks[steady].ID, hooks[flaky].ID, hooks[paused].ID, hooks[gone].ID)
	start := time.Now()
	var book ledger
	healthy := book.postFor(s, 2*time.Second, event)

	host.down()
	s.call("POST", "/v1/webhooks/"+hooks[paused].ID+"/pause", nil, http.StatusOK, nil)
	goneAway.Store(true)
	whileDown := book.postFor(s, 4*time.Second, event)
	w := s.awaitStatus(hooks[gone].ID, models.WebhookDisabled)
	require.Equal(t, models.ActorHookflow, *w.DisabledBy)

	failing.Store(true)
	host.up()
	while500 := book.postFor(s, 4*time.Second, event)

	failing.Store(false)
	goneAway.Store(false)
	whileHealed := book.postFor(s, 2*time.Second, event)
	held, err := s.store.CountHeldDeliveries(t.Context(), hooks[paused].ID)
	require.NoError(t, err)
	heldGone, err := s.store.CountHeldDeliveries(t.Context(), hooks[gone].ID)
	require.NoError(t, err)
	t.Logf("posted %d events before the outage, %d while the host was down, %d while it answered 500, %d once healed; held: %d for the paused webhook, %d for the one disabled by 410",
		healthy, whileDown, while500, whileHealed, held, heldGone)
	require.Positive(t, held, "the paused webhook held deliveries")
	require.Positive(t, heldGone, "the webhook disabled by 410 held deliveries")

	s.call("POST", "/v1/webhooks/"+hooks[paused].ID+"/resume", nil, http.StatusOK, nil)
	s.call("POST", "/v1/webhooks/"+hooks[gone].ID+"/enable", nil, http.StatusOK, nil)
	whileDraining := book.postFor(s, time.Second, event)
	t.Logf("posted %d events while the held deliveries drained", whileDraining)

	book.awaitDelivered(t, "receiver outage (refused, then 500) with a paused and a 410-disabled webhook, "+modelstest.Describe(), 60*time.Second, receivers...)
	s.awaitHeld(hooks[paused].ID, 0)
	s.awaitHeld(hooks[gone].ID, 0)

	// The outage was felt: attempts found no one listening, then got 500s.
	var refused, answered500 int64
	attempts := s.store.DB(t.Context()).Model(&models.DeliveryAttempt{}).
		Joins("JOIN deliveries ON deliveries.id = delivery_attempts.delivery_id").Where("deliveries.webhook_id = ?", hooks[flaky].ID)
	require.NoError(t, attempts.Session(&gorm.Session{}).Where("delivery_attempts.status_code = 0").Count(&refused).Error)
	require.NoError(t, attempts.Session(&gorm.Session{}).Where("delivery_attempts.status_code = 500").Count(&answered500).Error)
	gone410 := 0
	for _, r := range gone.received() {
		if r.Status == http.StatusGone {
			gone410++
		}
	}
	t.Logf("attempts to the flaky receiver: %d found its host down, %d were answered 500; %d deliveries were answered 410; all done %v after the first event",
		refused, answered500, gone410, time.Since(start).Round(100*time.Millisecond))
	require.Positive(t, refused, "attempts met a refused connection")
	require.Positive(t, answered500, "attempts met a 500")
	require.Positive(t, gone410)
	s.awaitStatus(hooks[flaky].ID, models.WebhookActive)
}

// The same event id, sent three times at once, in one batch three times,
// and once alone and once in a batch, is one event: each webhook gets it
// exactly once.
func TestDuplicateEventIDsAreDeliveredOnce(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "dupont@example.com"}, map[string]any{})
	receivers := []*receiver{newReceiver(t), newReceiver(t)}
	for _, rc := range receivers {
		rc.arrived = make(chan receivedRequest, 1000)
		s.registerWebhook(rc, "delivery")
	}
	event := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "delivery", "message_id": message["id"]}
	}
	var book ledger
	postBatch := func(ids ...string) {
		events := make([]map[string]any, len(ids))
		for i, id := range ids {
			events[i] = event(id)
		}
		status, body := s.request("POST", "/v1/events/batch", map[string]any{"events": events})
		require.Equal(t, http.StatusAccepted, status, "%s", body)
		book.bookBatch(t, len(ids), status, body)
	}

	// Three at once, five times over.
	var wg sync.WaitGroup
	for i := range 5 {
		for range 3 {
			wg.Go(func() { book.post(s, event(fmt.Sprintf("concurrent-%d", i))) })
		}
	}
	wg.Wait()
	// Repeated within one batch, and one batch holding both.
	postBatch("in-batch-a", "in-batch-a", "in-batch-b", "in-batch-a", "in-batch-b")
	// Alone, then in a batch; in a batch, then alone; and both at once.
	book.post(s, event("alone-then-batch"))
	postBatch("alone-then-batch", "batch-then-alone")
	book.post(s, event("batch-then-alone"))
	for range 3 {
		wg.Go(func() { book.post(s, event("alone-and-batch-at-once")) })
		wg.Go(func() { postBatch("alone-and-batch-at-once", "batch-at-once") })
	}
	wg.Wait()

	distinct := 5 + 2 + 2 + 2
	require.Len(t, book.acceptedIDs(), book.sent, "every post was accepted, as new or as a duplicate")
	tl := book.awaitDelivered(t, "duplicate event ids, "+modelstest.Describe(), 60*time.Second, receivers...)
	require.Equal(t, distinct, tl.Accepted, "one event per client id")
	time.Sleep(3 * time.Second) // a second delivery would have come by now
	tl = book.awaitDelivered(t, "duplicate event ids after 3 s more", 0, receivers...)
	require.Zero(t, tl.Duplicates, "each webhook got each event once")
	for _, rc := range receivers {
		require.Len(t, rc.received(), distinct, "requests at %s: one per event", rc.URL)
	}
}

// The database stays up but refuses every write with its own read-only
// error (SQLITE_READONLY; MySQL's 1792): the API refuses events with a 503
// problem (never a 202 for an event it did not store), /readyz fails
// though the database answers pings, and the worker's steps that must
// write are retried until it takes writes again. Then every accepted
// event reaches every receiver.
func TestNothingIsLostWhileTheDatabaseIsReadOnly(t *testing.T) {
	const readOnlyFor = 12 * time.Second
	s := startSystemWith(t, systemOptions{outage: true, settings: outageSettings})
	message := s.sendMessage(map[string]any{"email": "rory@example.com"}, map[string]any{})
	receivers := s.slowAndFlakyReceivers()
	flaky := receivers[1]
	event := map[string]any{"type": "delivery", "message_id": message["id"]}

	var book ledger
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				book.post(s, event)
			}
		})
	}
	wg.Wait()
	require.Len(t, book.acceptedIDs(), 20, "every event is accepted while the database takes writes")
	require.Eventually(t, func() bool { return len(flaky.received()) >= 10 }, 30*time.Second, 10*time.Millisecond,
		"first attempts answered 500 before the database turns read-only")

	s.outage.BeginReadOnly()
	start := time.Now()
	before := book.tally(t, receivers...)
	t.Logf("database read-only with %d of %d deliveries still to make (%d first attempts answered 500 so far)", before.Lost, before.Expected, len(flaky.received()))
	require.Positive(t, before.Lost, "the database became read-only with deliveries under way")
	checks := 0
	for ; time.Since(start) < readOnlyFor; checks++ {
		status, body := s.request("POST", "/v1/events", event)
		book.book(t, status, body)
		require.Equal(t, http.StatusServiceUnavailable, status, "an event that cannot be stored is refused: %s", body)
		requireProblem(t, body)
		status, body = s.request("POST", "/v1/events/batch", map[string]any{"events": []any{event, event}})
		book.bookBatch(t, 2, status, body)
		require.Equal(t, http.StatusServiceUnavailable, status, "a batch that cannot be stored is refused: %s", body)
		requireProblem(t, body)
		require.NoError(t, s.store.Ping(t.Context()), "the read-only database answers pings")
		status, body = s.request("GET", "/readyz", nil)
		require.Equal(t, http.StatusServiceUnavailable, status, "/readyz fails while the database refuses writes: %s", body)
		requireProblem(t, body)
		time.Sleep(500 * time.Millisecond)
	}
	s.outage.EndReadOnly()
	t.Logf("database writable again after %v; %d rounds of refused events and failed /readyz", time.Since(start).Round(time.Second), checks)
	s.call("GET", "/readyz", nil, http.StatusOK, nil)

	tl := book.awaitDelivered(t, "database read-only for "+readOnlyFor.String()+", "+modelstest.Describe(), 60*time.Second, receivers...)
	require.Equal(t, 20, tl.Accepted, "no event was accepted while the database refused writes")
	t.Logf("the last delivery arrived within %v after the database took writes again", (time.Since(start) - readOnlyFor).Round(100*time.Millisecond))
	for _, id := range book.acceptedIDs() {
		var res workflows.DeliveryResult
		require.NoError(t, s.temporal.GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(id), "").Get(t.Context(), &res), "event %s", id)
		require.Equal(t, workflows.DeliveryResult{Webhooks: 2, Succeeded: 2}, res, "event %s", id)
	}
	var unsettled int64
	require.NoError(t, s.store.DB(t.Context()).Model(&models.Event{}).Where("id IN ? AND settled_at IS NULL", book.acceptedIDs()).Count(&unsettled).Error)
	require.Zero(t, unsettled, "events not settled")
}
