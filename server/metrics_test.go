package server_test

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
)

func scrape(t testing.TB, h http.Handler) telemetrytest.Metrics {
	t.Helper()
	r := do(t, h, http.MethodGet, "/metrics", nil)
	want(t, r, http.StatusOK)
	return telemetrytest.Parse(t, r.Raw)
}

// Every stored event counts once as accepted, by type, however it came:
// one by one, in a batch, as a tracking hit, from a profile change (the
// audience created here). A duplicate does not count.
func TestMetricsCountAcceptedEvents(t *testing.T) {
	t.Parallel()
	h := newServer(t, withWorkflows(&workflowsDouble{}), withTrackingKey(trackingKey))
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile)

	before := scrape(t, h)
	if got := len(before["hookflow_events_accepted_total"].GetMetric()); got != len(models.EventTypes) {
		t.Fatalf("%d series of hookflow_events_accepted_total; want one per event type from the start", got)
	}
	if got := before.Value("hookflow_events_accepted_total", "type", "profile.create"); got < 1 {
		t.Errorf("creating the audience's profile accepted %v profile.create events, want at least 1", got)
	}
	event := map[string]any{"id": "mta-9", "type": "delivery", "message_id": msg.str("id")}
	want(t, do(t, h, http.MethodPost, "/v1/events", event), http.StatusAccepted)
	want(t, do(t, h, http.MethodPost, "/v1/events", event), http.StatusAccepted) // a duplicate
	want(t, do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{
		{"type": "bounce", "message_id": msg.str("id")}, {"type": "bounce", "message_id": msg.str("id")},
	}}), http.StatusAccepted)
	want(t, do(t, h, http.MethodGet, trackingPath(t, msg.str("open_url")), nil, withToken("")), http.StatusOK)

	after := scrape(t, h)
	for typ, n := range map[string]float64{"delivery": 1, "bounce": 2, "open": 1, "click": 0} {
		if got := after.Value("hookflow_events_accepted_total", "type", typ) - before.Value("hookflow_events_accepted_total", "type", typ); got != n {
			t.Errorf("hookflow_events_accepted_total{type=%q} went up by %v, want %v", typ, got, n)
		}
	}
	if !after.Has("go_goroutines") || !after.Has("process_cpu_seconds_total") {
		t.Error("a server of its own serves the Go and process metrics too")
	}
}

// Given the process's registry, the server adds its metrics there and
// serves all of it: what the worker and the Temporal SDK put in it too.
func TestMetricsServeTheProcessRegistry(t *testing.T) {
	t.Parallel()
	reg := telemetry.NewRegistry()
	workerCounter := prometheus.NewCounter(prometheus.CounterOpts{Name: "hookflow_test_worker_total", Help: "A worker's metric."})
	reg.MustRegister(workerCounter)
	workerCounter.Add(3)
	h := newServer(t, func(o *server.Options) { o.Metrics = reg })
	m := scrape(t, h)
	if got := m.Value("hookflow_test_worker_total"); got != 3 {
		t.Errorf("the registry's other metrics: hookflow_test_worker_total = %v, want 3", got)
	}
	if !m.Has("hookflow_events_accepted_total") || !m.Has("go_goroutines") {
		t.Error("the server's own metrics and the process's are served")
	}
}
