package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/worker"
)

func runWorker(ctx context.Context, log *slog.Logger, cfg config.Config) error {
	key, err := signingKey(cfg)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, log, cfg, false)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := telemetry.NewRegistry()
	tc, closeTemporal, err := dialTemporal(log, cfg, reg)
	if err != nil {
		return err
	}
	defer closeTemporal()
	if cfg.AllowPrivateNetworks {
		log.Warn("deliveries to private and loopback networks are allowed (HOOKFLOW_ALLOW_PRIVATE_NETWORKS)")
	}
	w := newWorker(ctx, log, cfg, store, tc, key, reg)
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		go func() {
			if err := serveHTTP(ctx, log, "metrics", ln, metricsHandler(reg, log), metricsTimeouts); err != nil {
				log.Error("serving metrics stopped", "error", err)
			}
		}()
	}
	log.Info("worker started", "task_queue", cfg.TaskQueue, "temporal", cfg.TemporalAddress)
	return w.Run(interruptOn(ctx))
}

// metricsTimeouts bound a scraper's connection to the worker's metrics.
var metricsTimeouts = httpTimeouts{ReadHeader: 10 * time.Second, Read: 10 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second}

// metricsHandler serves the worker's metrics at GET /metrics, and nothing else.
func metricsHandler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", telemetry.Handler(reg, log))
	return mux
}

// newWorker registers the search attributes when it may, keeps the
// schedules of the reconciler and of retention, puts the worker's metrics and the backlog in reg,
// and returns hookflow's worker: the worker of "worker" and "dev". Call Run
// or Start.
func newWorker(ctx context.Context, log *slog.Logger, cfg config.Config, store *models.Store, tc client.Client, key signing.KeyPair, reg *prometheus.Registry) sdkworker.Worker {
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		log.Warn("could not register search attributes; register them on the Temporal server", "error", err)
	}
	go ensureSchedules(ctx, log, cfg, tc)
	acts := newActivities(cfg, store, key)
	acts.Metrics = activities.NewMetrics(reg)
	reg.MustRegister(telemetry.NewBacklog(store))
	return worker.New(tc, cfg.TaskQueue, acts, sdkworker.Options{})
}

// ensureSchedules creates or updates the schedules of the reconciler and
// of retention, trying again while Temporal cannot be reached.
func ensureSchedules(ctx context.Context, log *slog.Logger, cfg config.Config, tc client.Client) {
	for {
		err := errors.Join(
			worker.EnsureReconcileSchedule(ctx, tc, cfg.TaskQueue, cfg.ReconcileInterval),
			worker.EnsurePruneSchedule(ctx, tc, cfg.TaskQueue),
		)
		if err == nil {
			return
		}
		log.Warn("could not set up the reconciler's and retention's schedules; trying again in 30s", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
		}
	}
}

// newActivities is the worker's side of hookflow, with every setting that
// shapes a delivery or a verification.
func newActivities(cfg config.Config, store *models.Store, key signing.KeyPair) *activities.Activities {
	return &activities.Activities{
		Store:            store,
		HTTP:             netpolicy.Policy{AllowPrivate: cfg.AllowPrivateNetworks}.NewHTTPClient(cfg.DeliveryTimeout),
		Signer:           signing.Signer{Keys: &key},
		UserAgent:        "hookflow/" + version,
		MaxResponseBytes: cfg.MaxResponseBytes,
		Settings: activities.Settings{
			RequestTimeout:      cfg.DeliveryTimeout,
			RetryWindow:         cfg.RetryWindow,
			VerificationWindow:  cfg.VerificationWindow,
			FirstRetryDelay:     cfg.RetryFirstDelay,
			MaxRetryDelay:       cfg.RetryMaxDelay,
			MaxOutageRetryDelay: cfg.OutageRetryMaxDelay,
			ReconcileAfter:      cfg.ReconcileAfter,
			Retention:           cfg.Retention,
			DisableAfter:        cfg.DisableAfter,
			ProbeMinInterval:    cfg.ProbeMinInterval,
			ProbeMaxInterval:    cfg.ProbeMaxInterval,
		},
	}
}

// interruptOn adapts ctx to the worker's stop channel.
func interruptOn(ctx context.Context) <-chan any {
	stop := make(chan any)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	return stop
}
