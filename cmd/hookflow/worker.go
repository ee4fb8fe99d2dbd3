package main

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
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
	tc, err := dialTemporal(log, cfg)
	if err != nil {
		return err
	}
	defer tc.Close()
	if cfg.AllowPrivateNetworks {
		log.Warn("deliveries to private and loopback networks are allowed (HOOKFLOW_ALLOW_PRIVATE_NETWORKS)")
	}
	w := newWorker(ctx, log, cfg, store, tc, key)
	log.Info("worker started", "task_queue", cfg.TaskQueue, "temporal", cfg.TemporalAddress)
	return w.Run(interruptOn(ctx))
}

// newWorker registers the search attributes when it may, keeps the
// reconciler's schedule, and returns hookflow's worker: the worker of
// "worker" and "dev". Call Run or Start.
func newWorker(ctx context.Context, log *slog.Logger, cfg config.Config, store *models.Store, tc client.Client, key signing.KeyPair) sdkworker.Worker {
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		log.Warn("could not register search attributes; register them on the Temporal server", "error", err)
	}
	go ensureReconcileSchedule(ctx, log, cfg, tc)
	return worker.New(tc, cfg.TaskQueue, newActivities(cfg, store, key), sdkworker.Options{})
}

// ensureReconcileSchedule creates or updates the reconciler's schedule,
// trying again while Temporal cannot be reached.
func ensureReconcileSchedule(ctx context.Context, log *slog.Logger, cfg config.Config, tc client.Client) {
	for {
		err := worker.EnsureReconcileSchedule(ctx, tc, cfg.TaskQueue, cfg.ReconcileInterval)
		if err == nil {
			return
		}
		log.Warn("could not set up the reconciler's schedule; trying again in 30s", "error", err)
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
