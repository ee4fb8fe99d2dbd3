// Package workflows holds hookflow's business processes as Temporal
// workflows: verifying that a customer owns a callback URL, delivering
// each event to every webhook that wants it, recovering a webhook's failed
// deliveries, and testing webhooks when their owner asks.
package workflows

import (
	"cmp"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// DeliveryInput starts the delivery of one event.
type DeliveryInput struct {
	EventID string
	// RetryWindow and RequestTimeout were set by API processes before the
	// worker owned them; they are read only so that runs started then
	// replay as they ran. New runs leave them zero.
	RetryWindow    time.Duration `json:",omitempty"`
	RequestTimeout time.Duration `json:",omitempty"`
	// Resend, when set, starts a run that only delivers one of the event's
	// deliveries again (see SignalResend): its first attempts were made by
	// an earlier run.
	Resend *ResendRequest `json:",omitempty"`
}

// DeliveryResult summarises the deliveries of one event.
type DeliveryResult struct {
	Webhooks  int
	Succeeded int
	Failed    int
	// Held counts deliveries held, unsent, for a paused or disabled
	// webhook; the webhook's drain delivers them once it is active again.
	Held int `json:",omitempty"`
	// Skipped says why nothing was delivered: the event was deleted, or
	// cannot be read.
	Skipped string `json:",omitempty"`
	// Resent counts the deliveries this run delivered again on request,
	// and ResentFailed those of them that failed again.
	Resent       int `json:",omitempty"`
	ResentFailed int `json:",omitempty"`
}

const (
	// firstAttemptsTimeout bounds one run of the first attempts of an
	// event: every matching webhook, at most 16 at a time, each request
	// bounded by the worker's request timeout.
	firstAttemptsTimeout = 5 * time.Minute
	// failDeliveryTimeout bounds one run of FailDelivery (two queries).
	failDeliveryTimeout = time.Minute
	// attemptMargin is added to the worker's request timeout to bound one
	// attempt: reading the delivery and recording the attempt.
	attemptMargin = 15 * time.Second
	// crashRetryDelay is the wait before retrying a RetryDelivery whose
	// worker died or hung (a timeout, so no delay came with it).
	crashRetryDelay = 10 * time.Second
)

// Delivery sends one event to every matching webhook. The first attempt to
// all of them runs in one local activity, so a successful delivery costs a
// handful of history events; only deliveries that fail move on to durable
// retries, each on its own so a failing receiver never holds up another.
// The workflow waits between those attempts itself and answers the
// QueryDeliverySchedule query with when the next is due. No outage ends
// it: every step waits for the database to come back. Only receivers'
// answers, the retry window, or an event that cannot be read do. Until it
// ends it takes resends of the event's deliveries (SignalResend).
func Delivery(ctx workflow.Context, in DeliveryInput) (DeliveryResult, error) {
	started := workflow.Now(ctx)
	run, err := startDeliveryRun(ctx)
	if err != nil {
		return DeliveryResult{}, err
	}
	if in.Resend != nil {
		run.resend(ctx, *in.Resend)
		return run.finish(ctx, DeliveryResult{}, []string{in.Resend.WebhookID})
	}

	var a *activities.Activities
	var first activities.FirstAttemptsResult
	err = runLocalThenDurably(ctx, firstAttemptsTimeout, a.DeliverFirstAttempts, &first, in.EventID)
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
	settings := first.RetrySettings
	settings.RetryWindow = cmp.Or(first.RetryWindow, in.RetryWindow, activities.DefaultRetryWindow)
	settings.RequestTimeout = cmp.Or(first.RequestTimeout, in.RequestTimeout, activities.DefaultRequestTimeout)
	deadline := started.Add(settings.RetryWindow)

	result := DeliveryResult{Webhooks: len(first.WebhookIDs), Failed: first.Failed, Held: first.Held}
	if len(first.Pending) > 0 {
		if err := setDeliveryStatus(ctx, first.WebhookIDs, StatusRetrying); err != nil {
			return result, err
		}
		failed, held := 0, 0
		if workflow.GetVersion(ctx, retriesInWorkflowChange, workflow.DefaultVersion, retriesInWorkflow) == workflow.DefaultVersion {
			run.retryWithTemporal(ctx, first.Pending, deadline, settings, &failed)
		} else {
			for _, p := range first.Pending {
				run.start(ctx, p.DeliveryID, newRetrySeries(ctx, p, deadline, settings), func(status models.DeliveryStatus) {
					switch status {
					case models.DeliveryFailed:
						failed++
					case models.DeliveryHeld:
						held++
					}
				})
			}
		}
		if err := workflow.Await(ctx, func() bool { return run.active == 0 }); err != nil {
			return result, err
		}
		result.Failed += failed
		result.Held += held
	}
	result.Succeeded = result.Webhooks - result.Failed - result.Held
	return run.finish(ctx, result, first.WebhookIDs)
}

// retriesInWorkflowChange marks runs whose workflow waits between retry
// attempts itself (AttemptDelivery); runs started before leave the waits
// to Temporal's retries of RetryDelivery.
const (
	retriesInWorkflowChange = "retries-in-workflow"
	retriesInWorkflow       = 1
)

// retryWithTemporal is how runs started before retriesInWorkflow retry:
// Temporal retries RetryDelivery, whose delays the activity sets, so the
// workflow knows when the next attempt is due only while it waits for the
// first retry.
func (r *deliveryRun) retryWithTemporal(ctx workflow.Context, pending []activities.PendingDelivery, deadline time.Time, settings activities.RetrySettings, failed *int) {
	for _, p := range pending {
		r.active++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { r.active-- }()
			r.series[p.DeliveryID] = &retrySeries{next: workflow.Now(ctx).Add(p.RetryAfter), failed: 1, deadline: deadline, settings: settings}
			if !retryDelivery(ctx, p, deadline, settings.RequestTimeout, func() { delete(r.series, p.DeliveryID) }) {
				*failed++
			}
		})
	}
}

// retryDelivery waits out the first backoff, then retries one delivery
// until it succeeds, fails for good, or the window closes (an outage near
// its end may close it too), and then records the failure. It reports
// whether the delivery succeeded. Runs started before retriesInWorkflow
// retry this way.
func retryDelivery(ctx workflow.Context, p activities.PendingDelivery, deadline time.Time, requestTimeout time.Duration, waited func()) bool {
	var a *activities.Activities
	if err := workflow.Sleep(ctx, p.RetryAfter); err != nil {
		return false
	}
	waited()
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
	_ = runLocalThenDurably(ctx, failDeliveryTimeout, a.FailDelivery, nil, p.DeliveryID, activities.ReasonRetryWindowRanOut)
	return false
}

func setDeliveryStatus(ctx workflow.Context, webhookIDs []string, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		WebhookIDKey.ValueSet(webhookIDs),
		DeliveryStatusKey.ValueSet(status),
	)
}
