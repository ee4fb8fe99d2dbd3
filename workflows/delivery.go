// Package workflows holds hookflow's business processes as Temporal
// workflows: verifying that a customer owns a callback URL, and delivering
// each event to every webhook that wants it.
package workflows

import (
	"cmp"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// DeliveryInput starts the delivery of one event.
type DeliveryInput struct {
	EventID string
	// RetryWindow and RequestTimeout were set by API processes before the
	// worker owned them; they are read only so that runs started then
	// replay as they ran. New runs leave them zero.
	RetryWindow    time.Duration `json:",omitempty"`
	RequestTimeout time.Duration `json:",omitempty"`
}

// DeliveryResult summarises the deliveries of one event.
type DeliveryResult struct {
	Webhooks  int
	Succeeded int
	Failed    int
	// Skipped says why nothing was delivered: the event was deleted, or
	// cannot be read.
	Skipped string `json:",omitempty"`
}

const (
	// firstAttemptsTimeout bounds one run of the first attempts of an
	// event: every matching webhook, at most 16 at a time, each request
	// bounded by the worker's request timeout.
	firstAttemptsTimeout = 5 * time.Minute
	// failDeliveryTimeout bounds one run of FailDelivery (two queries).
	failDeliveryTimeout = time.Minute
	// attemptMargin is added to the worker's request timeout to bound one
	// run of RetryDelivery: reading the delivery and recording the attempt.
	attemptMargin = 15 * time.Second
	// crashRetryDelay is the wait before retrying a RetryDelivery whose
	// worker died or hung (a timeout, so no delay came with it).
	crashRetryDelay = 10 * time.Second
)

// Delivery sends one event to every matching webhook. The first attempt to
// all of them runs in one local activity, so a successful delivery costs a
// handful of history events; only deliveries that fail move on to durable
// retries, each on its own so a failing receiver never holds up another.
// No outage ends it: every step waits for the database to come back. Only
// receivers' answers, the retry window, or an event that cannot be read do.
func Delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	started := workflow.Now(ctx)
	var a *activities.Activities
	var first activities.FirstAttemptsResult
	err := runLocalThenDurably(ctx, firstAttemptsTimeout, a.DeliverFirstAttempts, &first, in.EventID)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		// A worker from before skipped results said so with an error.
		first = activities.FirstAttemptsResult{Skipped: appErr.Error()}
	} else if err != nil {
		return DeliveryResult{}, err // cancelled
	}
	if first.Skipped != "" {
		workflow.GetLogger(ctx).Error("Event skipped", "event_id", in.EventID, "reason", first.Skipped)
		return DeliveryResult{Skipped: first.Skipped}, workflow.UpsertTypedSearchAttributes(ctx, DeliveryStatusKey.ValueSet(StatusSkipped))
	}

	// The worker's settings came with the result; runs started before
	// that had them in their input.
	retryWindow := cmp.Or(first.RetryWindow, in.RetryWindow, activities.DefaultRetryWindow)
	requestTimeout := cmp.Or(first.RequestTimeout, in.RequestTimeout, activities.DefaultRequestTimeout)
	deadline := started.Add(retryWindow)

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
				if !retryDelivery(ctx, pending, deadline, requestTimeout) {
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
// until it succeeds, fails for good, or the window closes (an outage near
// its end may close it too), and then records the failure. It reports
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
			StartToCloseTimeout:    requestTimeout + attemptMargin,
			// The activity sets every delay (the receiver's backoff or
			// Retry-After, or the outage backoff); a timeout has none and
			// waits crashRetryDelay. No delay is cut short within the window.
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:    crashRetryDelay,
				BackoffCoefficient: 1,
				MaximumInterval:    max(remaining, crashRetryDelay),
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
		if temporal.IsCanceledError(err) {
			return false
		}
	}
	// Recorded whatever it takes: an outage delays it, never skips it.
	_ = runLocalThenDurably(ctx, failDeliveryTimeout, a.FailDelivery, nil, p.DeliveryID, "retry window ran out")
	return false
}

func setDeliveryStatus(ctx workflow.Context, webhookIDs []string, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		WebhookIDKey.ValueSet(webhookIDs),
		DeliveryStatusKey.ValueSet(status),
	)
}
