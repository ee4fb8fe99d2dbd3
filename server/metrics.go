package server

import (
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics. Each server has its own
// registry, so tests can run many servers in one process.
type metrics struct {
	registry *prometheus.Registry
	// leftToSweeper counts events whose workflow the dispatcher did not
	// start, by why; the sweeper starts them later.
	leftToSweeper *prometheus.CounterVec
	// trackingOverLimit counts tracking hits served but not recorded, by
	// the limit they exceeded.
	trackingOverLimit *prometheus.CounterVec
	// sweepSkipped counts events the sweeper could not start and skipped.
	sweepSkipped prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
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
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.leftToSweeper,
		m.trackingOverLimit,
		m.sweepSkipped,
	)
	return m
}

// serve answers the metrics in Prometheus' text format.
func (m *metrics) serve() gin.HandlerFunc {
	return gin.WrapH(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
}
