package e2e

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
	"github.com/hookflow/hookflow/workflows"
)

// The API's and the worker's /metrics parse as Prometheus reads them, and
// move with real deliveries: events accepted by type, attempts by result,
// deliveries by outcome, the lag, verification checks, the backlog, and
// the Temporal SDK's own worker metrics.
func TestMetricsFollowRealDeliveries(t *testing.T) {
	s := startSystemWith(t, systemOptions{metrics: true})
	message := s.sendMessage(map[string]any{"email": "gus@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.failFirst = 1 // the first event's first attempt gets a 503
	s.registerWebhook(rc, "delivery", "bounce")

	var ids []string
	for _, typ := range []string{"delivery", "bounce"} {
		var event map[string]any
		s.call("POST", "/v1/events", map[string]any{"type": typ, "message_id": message["id"]}, http.StatusAccepted, &event)
		ids = append(ids, event["id"].(string))
	}
	for range ids {
		rc.next()
	}
	for _, id := range ids {
		s.awaitWorkflow(workflows.DeliveryWorkflowID(id))
	}

	api := s.scrapeAPI()
	require.Equal(t, 1.0, api.Value("hookflow_events_accepted_total", "type", "delivery"))
	require.Equal(t, 1.0, api.Value("hookflow_events_accepted_total", "type", "bounce"))
	require.Equal(t, 1.0, api.Value("hookflow_events_accepted_total", "type", "profile.create"))

	worker := s.scrapeWorker()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hookflow_deliveries_total", []string{"outcome", "succeeded"}, 2},
		{"hookflow_deliveries_total", []string{"outcome", "failed"}, 0},
		{"hookflow_delivery_attempt_duration_seconds", []string{"result", "5xx"}, 1},
		{"hookflow_delivery_attempt_duration_seconds", []string{"result", "2xx"}, 2},
		{"hookflow_delivery_lag_seconds", nil, 2},
		{"hookflow_verification_checks_total", []string{"result", "failed"}, 1},
		{"hookflow_verification_checks_total", []string{"result", "passed"}, 1},
		{"hookflow_events_unsettled", nil, 0},
		{"hookflow_events_undispatched", nil, 0},
		{"hookflow_deliveries_pending", nil, 0},
		{"hookflow_oldest_unsettled_event_age_seconds", nil, 0},
	} {
		require.True(t, worker.Has(c.name), "the worker serves %s", c.name)
		require.Equal(t, c.want, worker.Value(c.name, c.labels...), "%s%v", c.name, c.labels)
	}
	// The SDK reports every second.
	require.Eventually(t, func() bool {
		m := s.scrapeWorker()
		return m.Value("temporal_workflow_completed_total", "workflow_type", "Delivery") >= 2 &&
			m.Value("temporal_local_activity_execution_latency_seconds", "activity_type", "AttemptDelivery") >= 1 &&
			m.Has("temporal_worker_task_slots_available")
	}, 10*time.Second, 200*time.Millisecond, "the Temporal SDK's worker metrics are served")
}

// scrapeAPI reads the API's GET /metrics with the operator token.
func (s *system) scrapeAPI() telemetrytest.Metrics {
	s.t.Helper()
	status, body := s.request("GET", "/metrics", nil)
	require.Equal(s.t, http.StatusOK, status, "%s", body)
	return telemetrytest.Parse(s.t, body)
}

// scrapeWorker reads the worker's metrics as its listener serves them.
func (s *system) scrapeWorker() telemetrytest.Metrics {
	s.t.Helper()
	rec := httptest.NewRecorder()
	telemetry.Handler(s.workerMetrics, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(s.t, http.StatusOK, rec.Code, rec.Body.String())
	return telemetrytest.Parse(s.t, rec.Body.Bytes())
}
