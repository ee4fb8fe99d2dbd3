package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// deliveryView is GET /v1/deliveries/{id}.
type deliveryView struct {
	models.Delivery
	Live              bool                     `json:"live"`
	AttemptsLeft      *int                     `json:"attempts_left"`
	RetryWindowEndsAt *time.Time               `json:"retry_window_ends_at"`
	AttemptLog        []models.DeliveryAttempt `json:"attempt_log"`
}

func (s *system) delivery(id string) deliveryView {
	s.t.Helper()
	var d deliveryView
	s.call("GET", "/v1/deliveries/"+id, nil, http.StatusOK, &d)
	return d
}

// onlyDelivery waits for the one delivery of an event and returns its id.
func (s *system) onlyDelivery(eventID string) string {
	s.t.Helper()
	var id string
	require.Eventually(s.t, func() bool {
		var ds []models.Delivery
		require.NoError(s.t, s.store.DB(s.t.Context()).Where("event_id = ?", eventID).Find(&ds).Error)
		if len(ds) == 1 {
			id = ds[0].ID
		}
		return id != ""
	}, 30*time.Second, 10*time.Millisecond, "the delivery of %s", eventID)
	return id
}

// awaitDelivery waits until a delivery has the status and returns it.
func (s *system) awaitDelivery(id string, status models.DeliveryStatus) deliveryView {
	s.t.Helper()
	var d deliveryView
	require.Eventually(s.t, func() bool {
		d = s.delivery(id)
		return d.Status == status
	}, 30*time.Second, 5*time.Millisecond, "delivery %s %s", id, status)
	return d
}

func (s *system) postEvent(messageID string) string {
	s.t.Helper()
	var event map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": messageID}, http.StatusAccepted, &event)
	return event["id"].(string)
}

// While a delivery waits for its next attempt, its detail shows the
// retrying workflow's own schedule: the next attempt (in the future, the
// time the last attempt recorded), the attempts left and the end of the
// window.
func TestAPendingDeliveryShowsItsLiveSchedule(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{RetryWindow: 2 * time.Minute, FirstRetryDelay: time.Second, MaxRetryDelay: 20 * time.Second}})
	message := s.sendMessage(map[string]any{"email": "gus@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.failFirst, rc.retryAfter = 3, "4" // 503 three times, each asking for 4 s
	s.registerWebhook(rc, "delivery")

	eventID := s.postEvent(message["id"].(string))
	id := s.onlyDelivery(eventID)
	for attempts := 1; attempts <= 3; attempts++ {
		require.Eventually(t, func() bool { return len(rc.received()) == attempts }, 30*time.Second, 5*time.Millisecond)
		var d deliveryView
		require.Eventually(t, func() bool {
			d = s.delivery(id)
			return d.Attempts == attempts && d.Live
		}, 3*time.Second, 20*time.Millisecond, "live state after attempt %d", attempts)
		require.Equal(t, models.DeliveryPending, d.Status)
		require.NotNil(t, d.NextAttemptAt)
		require.True(t, d.NextAttemptAt.After(time.Now()), "the next attempt, %v, is ahead", d.NextAttemptAt)
		stored, err := models.Get[models.Delivery](t.Context(), s.store, id)
		require.NoError(t, err)
		require.True(t, stored.NextAttemptAt.Equal(*d.NextAttemptAt), "the workflow waits for the time the attempt recorded: %v, stored %v", d.NextAttemptAt, stored.NextAttemptAt)
		require.NotNil(t, d.AttemptsLeft)
		require.NotNil(t, d.RetryWindowEndsAt)
		// From the next attempt, waits of at most 2, 4, 8, 16, 20... s (the
		// backoff after attempt n) fit until the window's end.
		want := (activities.RetrySettings{FirstRetryDelay: time.Second, MaxRetryDelay: 20 * time.Second}).AttemptsLeft(attempts, *d.NextAttemptAt, *d.RetryWindowEndsAt)
		require.Equal(t, want, *d.AttemptsLeft)
		require.Greater(t, *d.AttemptsLeft, 3)
		require.WithinDuration(t, rc.received()[0].At.Add(2*time.Minute), *d.RetryWindowEndsAt, 2*time.Second)
		t.Logf("after attempt %d: next at %s (in %v), %d attempts left, window ends %s",
			attempts, d.NextAttemptAt.Format(time.StampMilli), time.Until(*d.NextAttemptAt).Round(time.Millisecond), *d.AttemptsLeft, d.RetryWindowEndsAt.Format(time.StampMilli))
	}
	rc.next()
	d := s.awaitDelivery(id, models.DeliverySucceeded)
	require.False(t, d.Live, "nothing to ask once it succeeded")
	require.Nil(t, d.AttemptsLeft)

	kinds := eventKinds(s.history(workflows.DeliveryWorkflowID(eventID), "delivery-retried-three-times"))
	t.Logf("a delivery retried three times costs %d history events: %s", len(kinds), strings.Join(kinds, ", "))
}

// A resent delivery goes to the same webhook with the same webhook-id and
// the next attempt numbers; while it is pending again it cannot be resent.
func TestResendKeepsTheWebhookIDAndRecordsNewAttempts(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "hal@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.answer = func(n int) int {
		return []int{http.StatusNotFound, http.StatusServiceUnavailable, http.StatusOK, http.StatusOK}[min(n, 3)]
	}
	rc.retryAfter = "2"
	s.registerWebhook(rc, "delivery")

	eventID := s.postEvent(message["id"].(string))
	id := s.onlyDelivery(eventID)
	s.awaitDelivery(id, models.DeliveryFailed)
	s.awaitWorkflow(workflows.DeliveryWorkflowID(eventID))

	var resent models.Delivery
	s.call("POST", "/v1/deliveries/"+id+"/resend", nil, http.StatusAccepted, &resent)
	require.Equal(t, models.DeliveryPending, resent.Status)
	require.Eventually(t, func() bool { return len(rc.received()) == 2 }, 30*time.Second, 5*time.Millisecond, "the resend's first attempt")
	status, body := s.request("POST", "/v1/deliveries/"+id+"/resend", nil)
	require.Equal(t, http.StatusConflict, status, "resending a delivery under way: %s", body)
	d := s.delivery(id)
	require.True(t, d.Live, "the resend run answers for it: %+v", d)

	rc.next()
	d = s.awaitDelivery(id, models.DeliverySucceeded)
	var codes []int
	for i, att := range d.AttemptLog {
		require.Equal(t, i+1, att.Number)
		codes = append(codes, att.StatusCode)
	}
	require.Equal(t, []int{404, 503, 200}, codes)
	requests := rc.received()
	for i, r := range requests {
		require.Equal(t, id, r.Headers.Get("webhook-id"), "request %d keeps the webhook-id", i)
		require.Equal(t, fmt.Sprint(i+1), r.Headers.Get(activities.HeaderAttempt))
		require.Equal(t, eventID, r.Payload["id"], "the same stored payload")
	}
	var res workflows.DeliveryResult
	kinds := eventKinds(s.history(workflows.DeliveryWorkflowID(eventID), "delivery-resent"))
	require.NoError(t, s.temporal.GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(eventID), "").Get(t.Context(), &res))
	require.Equal(t, workflows.DeliveryResult{Resent: 1}, res)
	t.Logf("a resend retried once costs %d history events: %s", len(kinds), strings.Join(kinds, ", "))
	e, err := models.Get[models.Event](t.Context(), s.store, eventID)
	require.NoError(t, err)
	require.NotNil(t, e.SettledAt, "settled again once the resend succeeded")

	// A succeeded delivery can be sent again too.
	s.call("POST", "/v1/deliveries/"+id+"/resend", nil, http.StatusAccepted, nil)
	again := rc.next()
	require.Equal(t, id, again.Headers.Get("webhook-id"))
	require.Equal(t, "4", again.Headers.Get(activities.HeaderAttempt))
}

// recoveryFixture is a webhook with some deliveries that succeeded and
// more that failed for good (404), its receiver answering 200 from then on.
type recoveryFixture struct {
	rc        *receiver
	webhook   string
	since     time.Time
	failed    []string // delivery ids
	succeeded []string
	before    int // requests the receiver got before the recovery
}

func (s *system) recoveryFixture(succeeded, failed int) *recoveryFixture {
	s.t.Helper()
	message := s.sendMessage(map[string]any{"email": "ida@example.com"}, map[string]any{})
	f := &recoveryFixture{rc: newReceiver(s.t), since: time.Now().Add(-time.Second)}
	var down atomic.Bool
	f.rc.answer = func(int) int {
		if down.Load() {
			return http.StatusNotFound
		}
		return http.StatusOK
	}
	f.rc.arrived = make(chan receivedRequest, 1000)
	f.webhook = s.registerWebhook(f.rc, "delivery").ID
	deliver := func(n int, want models.DeliveryStatus) []string {
		var ids []string
		for range n {
			id := s.onlyDelivery(s.postEvent(message["id"].(string)))
			s.awaitDelivery(id, want)
			ids = append(ids, id)
		}
		return ids
	}
	f.succeeded = deliver(succeeded, models.DeliverySucceeded)
	down.Store(true)
	f.failed = deliver(failed, models.DeliveryFailed)
	down.Store(false)
	f.before = len(f.rc.received())
	return f
}

// recovered are the requests the receiver got since the recovery started.
func (f *recoveryFixture) recovered() []receivedRequest { return f.rc.received()[f.before:] }

func (f *recoveryFixture) start(s *system, maxRPS float64) (models.Recovery, time.Time) {
	s.t.Helper()
	var r models.Recovery
	started := time.Now()
	s.call("POST", "/v1/webhooks/"+f.webhook+"/recover", map[string]any{"since": f.since.UTC().Format(time.RFC3339), "max_rps": maxRPS}, http.StatusAccepted, &r)
	require.Equal(s.t, models.RecoveryRunning, r.Status)
	require.Equal(s.t, len(f.failed), r.Total)
	return r, started
}

func (s *system) recovery(id string) models.Recovery {
	s.t.Helper()
	var r models.Recovery
	s.call("GET", "/v1/recoveries/"+id, nil, http.StatusOK, &r)
	return r
}

// requireAtMostPerSecond checks that no one-second window holds more
// than maxRPS requests, allowing one burst token: maxRPS+1.
func requireAtMostPerSecond(t *testing.T, requests []receivedRequest, maxRPS int) (busiest int) {
	t.Helper()
	for i := range requests {
		n := 0
		for j := i; j < len(requests) && requests[j].At.Sub(requests[i].At) < time.Second; j++ {
			n++
		}
		busiest = max(busiest, n)
	}
	require.LessOrEqual(t, busiest, maxRPS+1, "requests in the busiest second")
	return busiest
}

// A recovery re-delivers exactly the failed deliveries of its window, one
// attempt each, at no more than max_rps; a dry run counts them first.
func TestARecoveryReDeliversExactlyTheFailedOnesAtItsPace(t *testing.T) {
	s := startSystem(t)
	f := s.recoveryFixture(2, 12)
	var preview map[string]any
	s.call("POST", "/v1/webhooks/"+f.webhook+"/recover", map[string]any{"since": f.since.UTC().Format(time.RFC3339), "dry_run": true}, http.StatusOK, &preview)
	require.Equal(t, map[string]any{"total": float64(12)}, preview)
	require.Len(t, f.recovered(), 0, "a dry run sends nothing")

	const maxRPS = 4
	r, started := f.start(s, maxRPS)
	require.Eventually(t, func() bool { return s.recovery(r.ID).Status == models.RecoveryCompleted }, 30*time.Second, 50*time.Millisecond)
	took := time.Since(started)
	r = s.recovery(r.ID)
	require.Equal(t, 12, r.Total)
	require.Equal(t, 12, r.Done)
	require.Equal(t, 12, r.Succeeded)
	require.Zero(t, r.Failed)
	require.NotNil(t, r.CompletedAt)

	requests := f.recovered()
	var ids []string
	for _, req := range requests {
		ids = append(ids, req.Headers.Get("webhook-id"))
		require.Equal(t, "2", req.Headers.Get(activities.HeaderAttempt))
	}
	require.Equal(t, f.failed, ids, "each failed delivery once, oldest first; never a succeeded one")
	busiest := requireAtMostPerSecond(t, requests, maxRPS)
	span := requests[len(requests)-1].At.Sub(requests[0].At)
	t.Logf("12 re-deliveries at max_rps %d: %v from the first to the last (%.2f/s), busiest second %d, %v in all",
		maxRPS, span.Round(time.Millisecond), float64(len(requests)-1)/span.Seconds(), busiest, took.Round(time.Millisecond))
	for _, id := range f.failed {
		d := s.delivery(id)
		require.Equal(t, models.DeliverySucceeded, d.Status)
		require.Len(t, d.AttemptLog, 2)
	}

	kinds := eventKinds(s.history(workflows.RecoveryWorkflowID(r.ID), "recovery-completed"))
	t.Logf("a recovery of one page costs %d history events: %s", len(kinds), strings.Join(kinds, ", "))
	require.LessOrEqual(t, len(kinds), 12)
}

// A cancelled recovery stops: fewer done than its total, nothing sent
// once the cancel has answered.
func TestARecoveryCanBeCancelled(t *testing.T) {
	s := startSystem(t)
	f := s.recoveryFixture(0, 10)
	r, _ := f.start(s, 2)
	require.Eventually(t, func() bool { return len(f.recovered()) >= 3 }, 30*time.Second, 5*time.Millisecond)

	var cancelled models.Recovery
	s.call("POST", "/v1/recoveries/"+r.ID+"/cancel", nil, http.StatusOK, &cancelled)
	sent := len(f.recovered())
	require.Equal(t, models.RecoveryCancelled, cancelled.Status)
	require.Equal(t, 10, cancelled.Total)
	require.Less(t, cancelled.Done, cancelled.Total)
	require.Equal(t, sent, cancelled.Done, "every request sent is counted, each was recorded")
	time.Sleep(1500 * time.Millisecond) // three more intervals at 2 a second
	require.Len(t, f.recovered(), sent, "nothing is sent after the cancel answered")
	require.Equal(t, cancelled.Done, s.recovery(r.ID).Done)
	s.call("POST", "/v1/recoveries/"+r.ID+"/cancel", nil, http.StatusOK, nil)
	err := s.temporal.GetWorkflow(t.Context(), workflows.RecoveryWorkflowID(r.ID), "").Get(t.Context(), nil)
	require.True(t, temporal.IsCanceledError(err), "the recovery's workflow was cancelled: %v", err)
	s.closedHistory(workflows.RecoveryWorkflowID(r.ID), "recovery-cancelled")

	// What was not re-delivered is failed still, as before.
	failedStill := 0
	for _, id := range f.failed {
		if d := s.delivery(id); d.Status == models.DeliveryFailed {
			require.Len(t, d.AttemptLog, 1)
			failedStill++
		}
	}
	require.Equal(t, 10-sent, failedStill)
}

// A worker that stops mid-recovery loses nothing: the next one goes on
// after the last attempt recorded, and nothing is sent twice.
func TestARecoverySurvivesAWorkerRestart(t *testing.T) {
	s := startSystem(t)
	f := s.recoveryFixture(1, 8)
	r, _ := f.start(s, 4)
	require.Eventually(t, func() bool { return len(f.recovered()) >= 3 }, 30*time.Second, 5*time.Millisecond)

	s.worker.Stop()
	stopped := len(f.recovered())
	time.Sleep(time.Second)
	require.Len(t, f.recovered(), stopped, "nothing is sent without a worker")
	s.worker = s.newWorker()
	require.NoError(t, s.worker.Start())

	require.Eventually(t, func() bool { return s.recovery(r.ID).Status == models.RecoveryCompleted }, 60*time.Second, 50*time.Millisecond)
	var ids []string
	for _, req := range f.recovered() {
		ids = append(ids, req.Headers.Get("webhook-id"))
	}
	require.Equal(t, f.failed, ids, "each failed delivery exactly once across both workers")
	require.False(t, slices.Contains(ids, f.succeeded[0]))
	r = s.recovery(r.ID)
	require.Equal(t, 8, r.Done)
	require.Equal(t, 8, r.Succeeded)
	t.Logf("stopped the worker after %d of 8; the next one did the other %d", stopped, 8-stopped)
}
