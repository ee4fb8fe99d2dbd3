package e2e

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// postEventsOutOfOrder posts n events whose timestamps are not in the
// order they are posted, all after the webhook became active, and returns
// their ids in the order they happened.
func (s *system) postEventsOutOfOrder(webhookID string, messageID any, n int) []string {
	s.t.Helper()
	var w models.Webhook
	s.call("GET", "/v1/webhooks/"+webhookID, nil, http.StatusOK, &w)
	require.NotNil(s.t, w.ActiveSince)
	byTime := make([]string, n)
	for i := range n {
		slot := (i*3 + 1) % n // a permutation of 0..n-1 for the n used here
		var e map[string]any
		s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": messageID,
			"timestamp": w.ActiveSince.Add(time.Duration(slot+1) * 10 * time.Millisecond).Format(time.RFC3339Nano)}, http.StatusAccepted, &e)
		byTime[slot] = e["id"].(string)
	}
	return byTime
}

// awaitHeld waits until the webhook holds n deliveries.
func (s *system) awaitHeld(webhookID string, n int) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		held, err := s.store.CountHeldDeliveries(s.t.Context(), webhookID)
		return err == nil && held == int64(n)
	}, 60*time.Second, 50*time.Millisecond, "the webhook never held %d deliveries", n)
}

// deliveredEvents takes the next n successful deliveries and returns their
// events' ids in the order they arrived.
func deliveredEvents(rc *receiver, n int) []string {
	var ids []string
	for len(ids) < n {
		r := rc.next()
		if r.Payload["type"] == string(activities.ProbeEventType) {
			continue
		}
		ids = append(ids, r.Payload["id"].(string))
	}
	return ids
}

func TestPauseHoldsAndResumeDrainsInEventOrder(t *testing.T) {
	s := startSystemWith(t, systemOptions{workerProcess: true})
	message := s.sendMessage(map[string]any{"email": "pat@example.com"}, map[string]any{})
	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "delivery")
	var paused map[string]any
	s.call("POST", "/v1/webhooks/"+wh.ID+"/pause", nil, http.StatusOK, &paused)
	require.Equal(t, "paused", paused["status"])

	events := s.postEventsOutOfOrder(wh.ID, message["id"], 5)
	s.awaitHeld(wh.ID, 5)
	require.Empty(t, rc.received(), "a paused webhook's receiver gets nothing")

	s.call("POST", "/v1/webhooks/"+wh.ID+"/resume", nil, http.StatusOK, nil)
	require.Equal(t, events, deliveredEvents(rc, 5), "held deliveries arrive in the order their events happened")
	s.history(workflows.DrainWorkflowID(wh.ID), "drain-after-resume")
	s.awaitHeld(wh.ID, 0)
	require.Len(t, rc.received(), 5, "each held delivery was sent once")
}

func TestGoneDisablesTheWebhookAndHoldsLaterEvents(t *testing.T) {
	s := startSystemWith(t, systemOptions{workerProcess: true})
	message := s.sendMessage(map[string]any{"email": "gus@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.answer = func(int) int { return http.StatusGone }
	wh := s.registerWebhook(rc, "delivery")

	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	var w models.Webhook
	require.Eventually(t, func() bool {
		s.call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &w)
		return w.Status == models.WebhookDisabled
	}, 60*time.Second, 50*time.Millisecond)
	require.Equal(t, models.ActorHookflow, *w.DisabledBy)
	require.True(t, strings.HasPrefix(*w.DisabledReason, "HTTP 410 Gone at 20"), *w.DisabledReason)
	s.awaitHeld(wh.ID, 1)

	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	s.awaitHeld(wh.ID, 2)
	require.Len(t, rc.received(), 1, "only the delivery that was answered 410 was sent")
}

// A receiver that keeps failing is disabled after HOOKFLOW_DISABLE_AFTER;
// the probe brings it back once it answers, its held deliveries arrive in
// event order, exactly once each, and webhook.recovered says how many.
func TestFailingWebhookIsDisabledThenProbedBackWithItsHeldDeliveries(t *testing.T) {
	s := startSystemWith(t, systemOptions{workerProcess: true, settings: activities.Settings{
		DisableAfter: 2 * time.Second, ProbeMinInterval: time.Second, ProbeMaxInterval: 2 * time.Second,
		FirstRetryDelay: 200 * time.Millisecond, MaxRetryDelay: 500 * time.Millisecond,
	}})
	message := s.sendMessage(map[string]any{"email": "fay@example.com"}, map[string]any{})
	watcher := newReceiver(t)
	s.registerWebhook(watcher, "webhook.recovered")
	rc := newReceiver(t)
	var healthy atomic.Bool
	rc.answer = func(int) int {
		if healthy.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}
	rc.retryAfter = "0"
	wh := s.registerWebhook(rc, "delivery")

	events := s.postEventsOutOfOrder(wh.ID, message["id"], 5)
	var w models.Webhook
	require.Eventually(t, func() bool {
		s.call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &w)
		return w.Status == models.WebhookDisabled
	}, 60*time.Second, 50*time.Millisecond, "never disabled")
	require.Equal(t, models.ActorHookflow, *w.DisabledBy)
	require.True(t, strings.HasPrefix(*w.DisabledReason, "no successful delivery since "), *w.DisabledReason)
	s.awaitHeld(wh.ID, 5)
	s.history(workflows.DeliveryWorkflowID(events[0]), "delivery-held-while-retried")
	require.Eventually(t, func() bool {
		s.call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &w)
		return w.LastProbeAt != nil
	}, 60*time.Second, 50*time.Millisecond, "never probed")

	healthy.Store(true)
	require.Equal(t, events, deliveredEvents(rc, 5), "the held deliveries arrive in event order")
	recovered := watcher.next()
	require.Equal(t, "webhook.recovered", recovered.Payload["type"])
	data := recovered.Payload["data"].(map[string]any)
	require.Equal(t, wh.ID, data["webhook_id"])
	require.EqualValues(t, 5, data["released"])
	s.awaitHeld(wh.ID, 0)
	s.history(workflows.ProbeWorkflowID(wh.ID), "probe-recovered")

	var ok []string
	for _, r := range rc.received() {
		if r.Status == http.StatusOK && r.Payload["type"] != string(activities.ProbeEventType) {
			ok = append(ok, r.Payload["id"].(string))
		}
	}
	slices.Sort(ok)
	sorted := slices.Clone(events)
	slices.Sort(sorted)
	require.Equal(t, sorted, ok, "each event delivered exactly once")
}
