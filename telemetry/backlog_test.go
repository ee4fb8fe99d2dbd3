package telemetry

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
)

func scrape(t *testing.T, reg *prometheus.Registry) telemetrytest.Metrics {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler(reg, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics answered %d: %s", rec.Code, rec.Body)
	}
	return telemetrytest.Parse(t, rec.Body.Bytes())
}

// The backlog is read at most every cacheFor, whoever scrapes; while the
// database is down its metrics are left out and the rest is served.
func TestBacklogIsReadOnceInAWhileAndNeverFailsTheScrape(t *testing.T) {
	store, outage := modelstest.OpenWithOutage(t)
	reg := NewRegistry()
	backlog := NewBacklog(store)
	reg.MustRegister(backlog)

	if m := scrape(t, reg); m.Value("hookflow_events_unsettled") != 0 || !m.Has("hookflow_oldest_unsettled_event_age_seconds") {
		t.Fatalf("empty database: %v", m["hookflow_events_unsettled"])
	}
	received := models.Now().Add(-time.Hour)
	e := &models.Event{ID: models.NewID(models.PrefixEvent), Type: models.EventOpen, OccurredAt: received, ReceivedAt: received}
	if err := store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if got := scrape(t, reg).Value("hookflow_events_unsettled"); got != 0 {
		t.Errorf("scraped again at once: %v unsettled; want the cached 0", got)
	}

	backlog.cacheFor = 0
	m := scrape(t, reg)
	if m.Value("hookflow_events_unsettled") != 1 || m.Value("hookflow_events_undispatched") != 1 {
		t.Errorf("read again: unsettled %v, undispatched %v; want 1 and 1", m.Value("hookflow_events_unsettled"), m.Value("hookflow_events_undispatched"))
	}
	if age := m.Value("hookflow_oldest_unsettled_event_age_seconds"); age < 3600 || age > 3660 {
		t.Errorf("oldest unsettled event is %v s old, want an hour", age)
	}

	outage.Begin()
	defer outage.End()
	m = scrape(t, reg)
	if m.Has("hookflow_events_unsettled") || !m.Has("go_goroutines") {
		t.Errorf("database down: want the backlog left out and the rest served; got backlog %v", m["hookflow_events_unsettled"])
	}
}
