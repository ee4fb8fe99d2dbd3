package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// localAttempts is how often a local activity is tried, a second apart,
// before it moves on to a regular activity: enough for a blip, while the
// workflow task stays open.
const localAttempts = 3

// outageRetryPolicy retries a step without limit. The activities set each
// delay themselves (growing up to the worker's MaxOutageRetryDelay); the
// policy's own intervals apply only to timeouts and crashes, and never
// exceed activities.OutageRetryDelayLimit.
var outageRetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    activities.OutageRetryDelayLimit,
}

// runLocalThenDurably runs a step as a local activity, which costs no
// history event beyond its result, with a few quick retries. If it still
// fails with an error worth retrying (the database or another dependency
// is down), the step runs again as a regular activity that Temporal
// retries without limit: an outage of any length delays it, and it
// resumes soon after the dependency is back, but it never ends the
// workflow. It returns nil, a non-retryable error (the activity's verdict),
// or the workflow's cancellation.
func runLocalThenDurably(ctx workflow.Context, timeout time.Duration, activity, result any, args ...any) error {
	localCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: timeout,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: localAttempts},
	})
	err := workflow.ExecuteLocalActivity(localCtx, activity, args...).Get(ctx, result)
	if err == nil || !worthRetrying(err) {
		return err
	}
	workflow.GetLogger(ctx).Warn("Local activity failed; retrying it as a regular activity until it succeeds", "error", err)
	durableCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: timeout,
		RetryPolicy:         outageRetryPolicy,
	})
	return workflow.ExecuteActivity(durableCtx, activity, args...).Get(ctx, result)
}

// worthRetrying is false for the activity's own non-retryable verdicts and
// for cancellation.
func worthRetrying(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return false
	}
	return !temporal.IsCanceledError(err)
}
