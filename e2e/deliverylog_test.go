package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
)

// TestDeliveryLogAndStatsMatchTheReceiver: the delivery log shows each
// attempt the receiver saw, with its status code, and the webhook's
// statistics count what the receiver counted.
func TestDeliveryLogAndStatsMatchTheReceiver(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{FirstRetryDelay: 200 * time.Millisecond, MaxRetryDelay: time.Second}})
	message := s.sendMessage(map[string]any{"email": "ann@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.failFirst = 2
	wh := s.registerWebhook(rc, "delivery")
	const events = 5
	var ids []string
	for range events {
		var accepted map[string]any
		s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &accepted)
		ids = append(ids, accepted["id"].(string))
	}
	for _, id := range ids {
		s.awaitWorkflow(workflows.DeliveryWorkflowID(id)) // the receiver's 200 is recorded by then
	}

	type attempt struct {
		Number     int `json:"number"`
		StatusCode int `json:"status_code"`
		LatencyMS  int `json:"latency_ms"`
	}
	type delivery struct {
		ID         string    `json:"id"`
		Status     string    `json:"status"`
		Attempts   int       `json:"attempts"`
		AttemptLog []attempt `json:"attempt_log"`
	}
	var list struct{ Items []delivery }
	s.call("GET", "/v1/webhooks/"+wh.ID+"/deliveries", nil, http.StatusOK, &list)
	require.Len(t, list.Items, events)
	attempts, retried := 0, 0
	for _, d := range list.Items {
		require.Equal(t, "succeeded", d.Status)
		attempts += d.Attempts
		var detail delivery
		s.call("GET", "/v1/deliveries/"+d.ID, nil, http.StatusOK, &detail)
		require.Len(t, detail.AttemptLog, d.Attempts)
		for i, a := range detail.AttemptLog {
			require.Equal(t, i+1, a.Number)
			want := http.StatusOK
			if i < len(detail.AttemptLog)-1 {
				want = http.StatusServiceUnavailable
			}
			require.Equal(t, want, a.StatusCode, "attempt %d of %s", a.Number, d.ID)
			require.GreaterOrEqual(t, a.LatencyMS, 0)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	require.Equal(t, len(rc.received()), attempts, "the log has every request the receiver saw")

	var stats struct {
		Attempts    int              `json:"attempts"`
		Deliveries  map[string]int   `json:"deliveries"`
		SuccessRate float64          `json:"success_rate"`
		LagMS       map[string]int64 `json:"lag_ms"`
		Backlog     int              `json:"backlog"`
	}
	s.call("GET", "/v1/webhooks/"+wh.ID+"/stats", nil, http.StatusOK, &stats)
	require.Equal(t, len(rc.received()), stats.Attempts)
	require.Equal(t, events, stats.Deliveries["succeeded"])
	require.Zero(t, stats.Deliveries["failed"]+stats.Deliveries["pending"]+stats.Backlog)
	require.Equal(t, 1.0, stats.SuccessRate)
	require.Greater(t, stats.LagMS["p99"], int64(0), "retried deliveries took time")
	t.Logf("receiver saw %d requests for %d events (%d retried); stats: %+v", len(rc.received()), events, retried, stats)
}
