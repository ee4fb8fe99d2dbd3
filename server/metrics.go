package server

import (
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/telemetry"
)

// metrics are the server's Prometheus metrics, in the registry it serves.
type metrics struct {
	registry *prometheus.Registry
	// eventsAccepted counts stored events, by type.
	eventsAccepted *prometheus.CounterVec
	// leftToSweeper counts events whose workflow the dispatcher did not
	// start, by why; the sweeper starts them later.
	leftToSweeper *prometheus.CounterVec
	// trackingOverLimit counts tracking hits served but not recorded, by
	// the limit they exceeded.
	trackingOverLimit *prometheus.CounterVec
	// sweepSkipped counts events the sweeper could not start and skipped.
	sweepSkipped prometheus.Counter
}

// newMetrics registers the server's metrics in reg, or without one in a
// registry of the server's own (with the Go and process metrics), so tests
// can run many servers in one process.
func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = telemetry.NewRegistry()
	}
	m := &metrics{
		registry: reg,
		eventsAccepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_events_accepted_total",
			Help: "Events stored for delivery, by type: submitted (one by one or in batches), tracking hits, profile changes.",
		}, []string{"type"}),
		leftToSweeper: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_dispatch_left_to_sweeper_total",
			Help: "Stored events whose delivery workflow the API did not start at once (queue full, Temporal failing, shutting down); the sweeper starts them.",
		}, []string{"reason"}),
		trackingOverLimit: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookflow_tracking_hits_over_limit_total",
			Help: "Opens and clicks answered but not recorded because their client IP or message exceeded the tracking rate limit.",
		}, []string{"limit"}),
		sweepSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookflow_sweeper_events_skipped_total",
			Help: "Undispatched events the sweeper could not start (Temporal refused them, or their type is unknown) and skipped; each is tried again on its next round.",
		}),
	}
	for _, t := range models.EventTypes {
		m.eventsAccepted.WithLabelValues(string(t))
	}
	m.registry.MustRegister(
		m.eventsAccepted,
		m.leftToSweeper,
		m.trackingOverLimit,
		m.sweepSkipped,
	)
	return m
}

// serve answers the metrics in Prometheus' text format: the server's and
// whatever else the process put in the registry.
func (m *metrics) serve() gin.HandlerFunc {
	return gin.WrapH(telemetry.Handler(m.registry, slog.Default()))
}
