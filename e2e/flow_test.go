package e2e

import (
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/models"
)

// discardArrivals keeps the receiver answering however many deliveries
// arrive unread (it counts them in received()).
func (rc *receiver) discardArrivals() {
	go func() {
		for range rc.arrived {
		}
	}()
}

// succeededAt lists when the receiver got each request it answered 2xx.
func (rc *receiver) succeededAt() []time.Time {
	var at []time.Time
	for _, r := range rc.received() {
		if r.Status == http.StatusOK {
			at = append(at, r.At)
		}
	}
	return at
}

// mostInOneSecond is the most requests in any one-second window.
func mostInOneSecond(at []time.Time) int {
	at = slices.Clone(at)
	slices.SortFunc(at, time.Time.Compare)
	most := 0
	for i := range at {
		j := i
		for j < len(at) && at[j].Sub(at[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

type webhookFlow struct {
	MaxRPS      *float64 `json:"max_rps"`
	MaxInFlight int      `json:"max_in_flight"`
	Flow        struct {
		EffectiveRPS   *float64   `json:"effective_rps"`
		InFlight       int        `json:"in_flight"`
		ThrottledUntil *time.Time `json:"throttled_until"`
		SlowedAt       *time.Time `json:"slowed_at"`
	} `json:"flow"`
}

// limit sets a webhook's flow limits.
func (s *system) limit(webhookID string, limits map[string]any) webhookFlow {
	s.t.Helper()
	var w webhookFlow
	s.call("PATCH", "/v1/webhooks/"+webhookID, limits, http.StatusOK, &w)
	return w
}

// max_rps holds across two worker processes under a burst, and the burst's
// backlog does not delay another webhook's deliveries.
func TestRateLimitHoldsAcrossWorkerProcessesAndDelaysNoOtherWebhook(t *testing.T) {
	s := startSystemWith(t, systemOptions{workerProcess: true})
	message := s.sendMessage(map[string]any{"email": "flo@example.com"}, map[string]any{})
	limited, other := newReceiver(t), newReceiver(t)
	limited.discardArrivals()
	other.discardArrivals()
	whLimited := s.registerWebhook(limited, "delivery")
	s.registerWebhook(other, "bounce")
	w := s.limit(whLimited.ID, map[string]any{"max_rps": 5})
	require.Equal(t, 5.0, *w.MaxRPS)
	require.Equal(t, 10, w.MaxInFlight)

	const burst = 200
	start := time.Now()
	for range burst {
		s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	}
	t.Logf("%d events accepted in %v", burst, time.Since(start).Round(time.Millisecond))
	// The burst's first attempts take the workers a while (200 workflows
	// and local activities, on a shared machine); then the backlog waits
	// in workflow timers, its slots reserved.
	require.Eventually(t, func() bool {
		var waiting int64
		err := s.store.DB(t.Context()).Model(&models.Delivery{}).
			Where("webhook_id = ? AND (attempts > 0 OR reserved_slot_at IS NOT NULL)", whLimited.ID).Count(&waiting).Error
		return err == nil && waiting == burst
	}, 60*time.Second, 50*time.Millisecond)
	t.Logf("the burst's first attempts were all made or throttled %v after the first event", time.Since(start).Round(time.Millisecond))

	// While the backlog drains, the other webhook gets a paced stream.
	const paced = 20
	sentAt := map[string]time.Time{}
	for range paced {
		var e map[string]any
		before := time.Now()
		s.call("POST", "/v1/events", map[string]any{"type": "bounce", "message_id": message["id"]}, http.StatusAccepted, &e)
		sentAt[e["id"].(string)] = before
		time.Sleep(250 * time.Millisecond)
	}
	require.Eventually(t, func() bool { return len(other.succeededAt()) == paced }, 30*time.Second, 50*time.Millisecond)
	var lags []time.Duration
	for _, r := range other.received() {
		lags = append(lags, r.At.Sub(sentAt[r.Payload["id"].(string)]))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	p95 := lags[len(lags)*95/100-1]
	t.Logf("other webhook during the backlog: %d events, lag p50 %v, p95 %v, max %v; the limited webhook had %d of %d then",
		len(lags), lags[len(lags)/2].Round(time.Millisecond), p95.Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond), len(limited.succeededAt()), burst)
	require.Less(t, p95, time.Second, "the other webhook's p95 lag")

	require.Eventually(t, func() bool { return len(limited.succeededAt()) == burst }, 90*time.Second, 100*time.Millisecond,
		"all %d deliveries arrive", burst)
	at := limited.succeededAt()
	slices.SortFunc(at, time.Time.Compare)
	most := mostInOneSecond(at)
	span := at[len(at)-1].Sub(at[0])
	t.Logf("max_rps 5, %d events over 2 worker processes: delivered in %v (%.2f/s), at most %d requests in any one-second window",
		burst, span.Round(time.Millisecond), float64(burst-1)/span.Seconds(), most)
	require.LessOrEqual(t, most, 6, "max_rps 5 allowing one burst token")
	require.Len(t, limited.received(), burst, "no request beyond the deliveries")
}

// max_in_flight holds for a slow receiver, and everything is delivered.
func TestMaxInFlightHoldsForASlowReceiver(t *testing.T) {
	s := startSystemWith(t, systemOptions{workerProcess: true})
	message := s.sendMessage(map[string]any{"email": "slo@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.delay = 300 * time.Millisecond
	rc.discardArrivals()
	wh := s.registerWebhook(rc, "delivery")
	s.limit(wh.ID, map[string]any{"max_in_flight": 2})

	const events = 20
	start := time.Now()
	for range events {
		s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	}
	require.Eventually(t, func() bool { return len(rc.succeededAt()) == events }, 45*time.Second, 50*time.Millisecond)
	t.Logf("max_in_flight 2, receiver answering in 300 ms: %d events delivered in %v, at most %d requests at once",
		events, time.Since(start).Round(time.Millisecond), rc.mostConcurrent.Load())
	require.LessOrEqual(t, rc.mostConcurrent.Load(), int64(2))
	require.Equal(t, int64(2), rc.mostConcurrent.Load(), "both slots were used")
	require.Len(t, rc.received(), events)
}

// A 429 with Retry-After: nothing is sent before it ends, and the rate the
// webhook shows drops.
func TestRetryAfterSlowsTheWebhookDown(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "ret@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.retryAfter = "3"
	rc.answer = func(n int) int {
		if n == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	rc.discardArrivals()
	wh := s.registerWebhook(rc, "delivery")
	before := s.limit(wh.ID, map[string]any{"max_rps": 10})
	require.Equal(t, 10.0, *before.Flow.EffectiveRPS)

	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	require.Eventually(t, func() bool { return len(rc.received()) == 1 }, 30*time.Second, 10*time.Millisecond)
	refused := rc.received()[0].At
	// The receiver has the request before the worker has its answer: the
	// slowdown is recorded right after.
	var after webhookFlow
	require.Eventually(t, func() bool {
		s.call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &after)
		return after.Flow.EffectiveRPS != nil && *after.Flow.EffectiveRPS < 10.0
	}, 10*time.Second, 10*time.Millisecond, "the effective rate dropped")
	require.NotNil(t, after.Flow.ThrottledUntil)
	require.NotNil(t, after.Flow.SlowedAt)
	t.Logf("after a 429 with Retry-After 3: effective_rps %v (max_rps 10), throttled until %v after the answer",
		*after.Flow.EffectiveRPS, after.Flow.ThrottledUntil.Sub(refused).Round(time.Millisecond))

	for range 5 {
		s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	}
	require.Eventually(t, func() bool { return len(rc.succeededAt()) == 6 }, 30*time.Second, 20*time.Millisecond)
	at := rc.succeededAt()
	slices.SortFunc(at, time.Time.Compare)
	t.Logf("first request after the Retry-After came %v after the 429; the 6 went over %v", at[0].Sub(refused).Round(time.Millisecond), at[5].Sub(at[0]).Round(time.Millisecond))
	// The receiver's clock stamps both; the Retry-After counts from the answer.
	require.GreaterOrEqual(t, at[0].Sub(refused), 2900*time.Millisecond, "a request came before the Retry-After ended")
	require.GreaterOrEqual(t, at[5].Sub(at[0]), 900*time.Millisecond, "the 6 went at the cut rate (~5/s), not at once")
}
