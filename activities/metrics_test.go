package activities

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/hookflow/hookflow/models"
)

// The worker's metrics follow real attempts: each request by its result
// and duration, each delivery once at its outcome, the lag of each
// delivered event, each ownership check.
func TestMetricsFollowAttemptsAndOutcomes(t *testing.T) {
	a := newActivities(t)
	reg := prometheus.NewPedanticRegistry()
	a.Metrics = NewMetrics(reg)
	f := createAudience(t, a)

	opens := func(w *models.Webhook) { w.Events = []models.EventType{models.EventOpen} }
	clicks := func(w *models.Webhook) { w.Events = []models.EventType{models.EventClick} }
	flaky := createWebhook(t, a, newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK)).URL, opens)
	e := createEvent(t, a, f, models.EventOpen, func(e *models.Event) { e.ReceivedAt = models.Now().Add(-time.Minute) })
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.RetryDelivery(t.Context(), deliveryOf(t, a, e.ID, flaky.ID).ID); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	gone := createWebhook(t, a, newReceiver(t, answering(http.StatusNotFound)).URL, clicks)
	e2 := createEvent(t, a, f, models.EventClick)
	if _, err := a.DeliverFirstAttempts(t.Context(), e2.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.FailDelivery(t.Context(), deliveryOf(t, a, e2.ID, gone.ID).ID, "again"); err != nil {
		t.Fatal(err)
	}
	unreachable := createWebhook(t, a, "http://127.0.0.1:1/hook", unverified)
	if _, err := a.CheckVerification(t.Context(), unreachable.ID); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name   string
		c      prometheus.Collector
		labels []string
		want   float64
	}{
		{"attempts answered 5xx", a.Metrics.attempts, []string{"5xx"}, 1},
		{"attempts answered 2xx", a.Metrics.attempts, []string{"2xx"}, 1},
		{"attempts answered 4xx", a.Metrics.attempts, []string{"4xx"}, 1},
		{"deliveries succeeded", a.Metrics.deliveries, []string{outcomeSucceeded}, 1},
		{"deliveries failed (once, though failed twice)", a.Metrics.deliveries, []string{outcomeFailed}, 1},
		{"checks failed", a.Metrics.verifications, []string{"failed"}, 1},
		{"checks passed", a.Metrics.verifications, []string{"passed"}, 0},
	} {
		if got := observed(t, c.c, c.labels...); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if got := observed(t, a.Metrics.lag); got != 1 {
		t.Fatalf("lag observed %v times, want once (one event delivered)", got)
	}
	if sum := histogramSum(t, a.Metrics.lag); sum < 60 || sum > 120 {
		t.Errorf("lag of the event received a minute before it was delivered: %v s", sum)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric names and help do not pass promlint: %v %v", problems, err)
	}
}

func TestAttemptResultLabels(t *testing.T) {
	for want, r := range map[string]response{
		"2xx":     {StatusCode: 204},
		"3xx":     {StatusCode: 302, Err: context.Canceled},
		"5xx":     {StatusCode: 503},
		"timeout": {Err: context.DeadlineExceeded},
		"error":   {Err: context.Canceled},
	} {
		if got := attemptResult(r); got != want {
			t.Errorf("attemptResult(%+v) = %q, want %q", r, got, want)
		}
	}
	var m *Metrics // a nil Metrics counts nothing, and does not panic
	m.sent(response{StatusCode: 200})
	m.finished(models.DeliverySucceeded)
	m.checked(true)
}

// observed is a counter's value or a histogram's count of observations.
func observed(t *testing.T, c prometheus.Collector, labels ...string) float64 {
	t.Helper()
	switch v := c.(type) {
	case *prometheus.CounterVec:
		return testutil.ToFloat64(v.WithLabelValues(labels...))
	case *prometheus.HistogramVec:
		return float64(histogram(t, v.WithLabelValues(labels...).(prometheus.Metric)).GetSampleCount())
	case prometheus.Histogram:
		return float64(histogram(t, v).GetSampleCount())
	}
	t.Fatalf("observed: %T", c)
	return 0
}

func histogramSum(t *testing.T, h prometheus.Histogram) float64 {
	return histogram(t, h).GetSampleSum()
}

func histogram(t *testing.T, h prometheus.Metric) *dto.Histogram {
	t.Helper()
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram()
}
