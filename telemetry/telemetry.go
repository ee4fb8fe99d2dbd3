// Package telemetry is the Prometheus plumbing of a hookflow process: its
// registry, the Temporal SDK's own metrics in it, the delivery backlog read
// from the database, and how the metrics are served. The metrics of the API
// and of the worker are defined where they are counted (server, activities).
package telemetry

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a registry holding the Go runtime's and the process's
// metrics. A process has one; whatever it runs (API, worker) adds its own.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves g's metrics in Prometheus' text format. A collector that
// fails (the database is down for the backlog) leaves its metrics out and
// is logged; the rest is still served.
func Handler(g prometheus.Gatherer, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      promLogger{log},
	})
}

// promLogger is promhttp's error log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	if l.log != nil {
		l.log.Warn("serving metrics", "error", slog.AnyValue(v).String())
	}
}
