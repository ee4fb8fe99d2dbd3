package activities

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
)

// Metrics count what the worker's deliveries and verifications did, for
// Prometheus. A nil *Metrics counts nothing (tests, tools).
type Metrics struct {
	deliveries    *prometheus.CounterVec
	attempts      *prometheus.HistogramVec
	lag           prometheus.Histogram
	verifications *prometheus.CounterVec
	pruned        *prometheus.CounterVec
	throttles     *prometheus.CounterVec
	slowdowns     prometheus.Counter
}

// Label values. They are few and fixed: never an id.
const (
	outcomeSucceeded = "succeeded"
	outcomeFailed    = "failed"

	resultTimeout = "timeout"
	resultError   = "error" // no answer: refused, reset, DNS, TLS, a forbidden address
)

// attemptBuckets span a fast receiver to the longest request timeout.
var attemptBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60}

// lagBuckets span a first attempt that succeeds at once to a delivery
// that succeeds at the end of a long retry window.
var lagBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 3 * 3600, 12 * 3600, 24 * 3600, 72 * 3600, 7 * 24 * 3600}

// NewMetrics registers the worker's metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_deliveries_total",
			Help: "Deliveries (one event to one webhook) that reached their outcome: succeeded, or failed for good (a final answer, the retry window ran out, the webhook or event went away).",
		}, []string{"outcome"}),
		attempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_delivery_attempt_duration_seconds",
			Help:    "Duration of each request to a receiver, by result: the answer's status class (2xx, 3xx, 4xx, 5xx), timeout, or error (no answer).",
			Buckets: attemptBuckets,
		}, []string{"result"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookflow_delivery_lag_seconds",
			Help:    "Time from receiving an event to a receiver's 2xx answer for it, retries included.",
			Buckets: lagBuckets,
		}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_verification_checks_total",
			Help: "Ownership checks of webhook URLs, by result: passed or failed.",
		}, []string{"result"}),
		pruned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_pruned_rows_total",
			Help: "Rows deleted by retention, by table.",
		}, []string{"table"}),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_delivery_throttles_total",
			Help: "Attempts put off by their webhook's flow control, without a request, by reason: rate (max_rps, or a Retry-After) or in_flight (max_in_flight).",
		}, []string{"reason"}),
		slowdowns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_webhook_slowdowns_total",
			Help: "Times a receiver's 429 or 503 with a Retry-After slowed its webhook down (AIMD).",
		}),
	}
	for _, reason := range []string{throttledRate, throttledInFlight} {
		m.throttles.WithLabelValues(reason)
	}
	for _, outcome := range []string{outcomeSucceeded, outcomeFailed} {
		m.deliveries.WithLabelValues(outcome)
		m.verifications.WithLabelValues(verificationResult(outcome == outcomeSucceeded))
	}
	for _, result := range []string{"2xx", "4xx", "5xx", resultTimeout, resultError} {
		m.attempts.WithLabelValues(result)
	}
	reg.MustRegister(m.deliveries, m.attempts, m.lag, m.verifications, m.pruned, m.throttles, m.slowdowns)
	return m
}

// throttled counts an attempt flow control put off.
func (m *Metrics) throttled(reason string) {
	if m != nil {
		m.throttles.WithLabelValues(reason).Inc()
	}
}

// slowedDown counts a webhook slowed down by a Retry-After.
func (m *Metrics) slowedDown() {
	if m != nil {
		m.slowdowns.Inc()
	}
}

// finished counts a delivery that reached its outcome.
func (m *Metrics) finished(status models.DeliveryStatus) {
	if m == nil {
		return
	}
	switch status {
	case models.DeliverySucceeded:
		m.deliveries.WithLabelValues(outcomeSucceeded).Inc()
	case models.DeliveryFailed:
		m.deliveries.WithLabelValues(outcomeFailed).Inc()
	}
}

// sent records one request to a receiver.
func (m *Metrics) sent(r response) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(attemptResult(r)).Observe(r.Latency.Seconds())
}

// delivered records the lag of an event a receiver took at answeredAt.
func (m *Metrics) delivered(e *models.Event, answeredAt time.Time) {
	if m == nil {
		return
	}
	m.lag.Observe(max(answeredAt.Sub(e.ReceivedAt).Seconds(), 0))
}

// checked counts an ownership check.
func (m *Metrics) checked(passed bool) {
	if m == nil {
		return
	}
	m.verifications.WithLabelValues(verificationResult(passed)).Inc()
}

// prunedRows counts rows retention deleted from table.
func (m *Metrics) prunedRows(table string, n int64) {
	if m == nil || n == 0 {
		return
	}
	m.pruned.WithLabelValues(table).Add(float64(n))
}

func verificationResult(passed bool) string {
	if passed {
		return "passed"
	}
	return "failed"
}

// attemptResult is the result label of a request: its status class,
// timeout, or error.
func attemptResult(r response) string {
	if r.Err != nil {
		var netErr net.Error
		if errors.Is(r.Err, context.DeadlineExceeded) || (errors.As(r.Err, &netErr) && netErr.Timeout()) {
			return resultTimeout
		}
		if r.StatusCode == 0 {
			return resultError
		}
	}
	return strconv.Itoa(r.StatusCode/100) + "xx"
}
