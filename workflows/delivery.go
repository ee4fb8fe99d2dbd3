// Package workflows holds hookflow's business processes as Temporal
// workflows: verifying that a customer owns a callback URL, and delivering
// each event to every webhook that wants it.
package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// DeliveryInput starts the delivery of one event.
type DeliveryInput struct {
	EventID string
	// RetryWindow is how long failing deliveries are retried (default 3 days).
	RetryWindow time.Duration
	// RequestTimeout bounds one HTTP attempt (default 15 s).
	RequestTimeout time.Duration
}

// DeliveryResult summarises the deliveries of one event.
type DeliveryResult struct {
	Webhooks  int
	Succeeded int
	Failed    int
}

const (
	DefaultRetryWindow    = 72 * time.Hour
	DefaultRequestTimeout = 15 * time.Second
	// retry backoff bounds; the activity picks each delay (with jitter or
	// the receiver's Retry-After) through NextRetryDelay.
	retryInitialInterval = 5 * time.Second
	retryMaximumInterval = 6 * time.Hour
)

// Delivery sends one event to every matching webhook. The first attempt to
// all of them runs in one local activity, so a successful delivery costs a
// handful of history events; only deliveries that fail move on to durable
// retries, each on its own so a failing receiver never holds up another.
func Delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	in = in.withDefaults()
	deadline := workflow.Now(ctx).Add(in.RetryWindow)
	var a *activities.Activities

	var first activities.FirstAttemptsResult
	firstCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: in.RequestTimeout + 30*time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	if err := workflow.ExecuteLocalActivity(firstCtx, a.DeliverFirstAttempts, in.EventID).Get(ctx, &first); err != nil {
		return DeliveryResult{}, err
	}
	result := DeliveryResult{Webhooks: len(first.WebhookIDs), Failed: first.Failed}
	if len(first.Pending) > 0 {
		if err := setDeliveryStatus(ctx, first.WebhookIDs, StatusRetrying); err != nil {
			return result, err
		}
		failed := 0
		wg := workflow.NewWaitGroup(ctx)
		for _, pending := range first.Pending {
			wg.Add(1)
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer wg.Done()
				if !retryDelivery(ctx, pending, deadline, in.RequestTimeout) {
					failed++
				}
			})
		}
		wg.Wait(ctx)
		result.Failed += failed
	}
	result.Succeeded = result.Webhooks - result.Failed
	status := StatusSucceeded
	if result.Failed > 0 {
		status = StatusFailed
	}
	return result, setDeliveryStatus(ctx, first.WebhookIDs, status)
}

// retryDelivery waits out the first backoff, then retries one delivery
// until it succeeds, fails for good, or the window closes. It reports
// whether the delivery succeeded.
func retryDelivery(ctx workflow.Context, p activities.PendingDelivery, deadline time.Time, requestTimeout time.Duration) bool {
	var a *activities.Activities
	if err := workflow.Sleep(ctx, p.RetryAfter); err != nil {
		return false
	}
	remaining := deadline.Sub(workflow.Now(ctx))
	if remaining > 0 {
		retryCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			ScheduleToCloseTimeout: remaining,
			StartToCloseTimeout:    requestTimeout + 30*time.Second,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:    retryInitialInterval,
				BackoffCoefficient: 2,
				MaximumInterval:    retryMaximumInterval,
			},
		})
		err := workflow.ExecuteActivity(retryCtx, a.RetryDelivery, p.DeliveryID).Get(ctx, nil)
		if err == nil {
			return true
		}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NonRetryable() {
			return false // the activity recorded why
		}
	}
	failCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	_ = workflow.ExecuteLocalActivity(failCtx, a.FailDelivery, p.DeliveryID, "retry window ran out").Get(ctx, nil)
	return false
}

func setDeliveryStatus(ctx workflow.Context, webhookIDs []string, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		WebhookIDKey.ValueSet(webhookIDs),
		DeliveryStatusKey.ValueSet(status),
	)
}

func (in DeliveryInput) withDefaults() DeliveryInput {
	if in.RetryWindow <= 0 {
		in.RetryWindow = DefaultRetryWindow
	}
	if in.RequestTimeout <= 0 {
		in.RequestTimeout = DefaultRequestTimeout
	}
	return in
}
