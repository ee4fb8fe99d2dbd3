package workflows

import (
	"cmp"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// VerificationInput starts the ownership check of one webhook.
type VerificationInput struct {
	WebhookID string
	// Window was set by API processes before the worker owned the
	// verification window; it is read only so that runs started then replay
	// as they ran. New runs leave it zero.
	Window time.Duration `json:",omitempty"`
}

// VerificationOutcome is how a verification workflow ended.
type VerificationOutcome string

const (
	Verified            VerificationOutcome = "verified"
	VerificationExpired VerificationOutcome = "expired"
	WebhookGone         VerificationOutcome = "webhook_gone"
)

// UpdateVerifyNow runs a check at once and answers with its result.
const UpdateVerifyNow = "verify-now"

// recheckIntervals space the automatic checks: often while the customer is
// likely placing the file, then daily. The last one repeats.
var recheckIntervals = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// Verification waits for the customer to place the verification file,
// checking on its own at growing intervals and at once when asked through
// the verify-now update, until a check passes or the window closes.
func Verification(ctx workflow.Context, in VerificationInput) (VerificationOutcome, error) {
	started := workflow.Now(ctx)
	var outcome VerificationOutcome

	check := func(ctx workflow.Context) (activities.VerificationResult, error) {
		var a *activities.Activities
		var res activities.VerificationResult
		err := workflow.ExecuteActivity(checkOptions(ctx), a.CheckVerification, in.WebhookID).Get(ctx, &res)
		switch {
		case isWebhookGone(err):
			outcome = WebhookGone
		case err == nil && res.Passed:
			outcome = Verified
		}
		return res, err
	}
	// The handler comes first: a verify-now that started this run is
	// delivered with its first task.
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateVerifyNow, check, workflow.UpdateHandlerOptions{
		Validator: func() error {
			if outcome != "" {
				return errors.New("verification already ended: " + string(outcome))
			}
			return nil
		},
	})
	if err != nil {
		return "", err
	}

	window, err := verificationWindow(ctx, in)
	if err != nil {
		return "", err // cancelled
	}
	deadline := started.Add(window)
	for round := 0; outcome == ""; round++ {
		wait := min(recheckIntervals[min(round, len(recheckIntervals)-1)], deadline.Sub(workflow.Now(ctx)))
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return outcome != "" }); err != nil {
			return "", err // cancelled: the webhook was deleted or its URL changed
		}
		if outcome != "" {
			break
		}
		if !workflow.Now(ctx).Before(deadline) {
			var a *activities.Activities
			// Retried until recorded: an outage delays the expiry, never ends the workflow.
			expireCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: time.Minute,
				RetryPolicy:         outageRetryPolicy,
			})
			if err := workflow.ExecuteActivity(expireCtx, a.ExpireVerification, in.WebhookID).Get(ctx, nil); err != nil {
				return "", err // cancelled
			}
			outcome = VerificationExpired
			break
		}
		if _, err := check(ctx); err != nil && outcome == "" {
			workflow.GetLogger(ctx).Warn("verification check failed", "webhook_id", in.WebhookID, "error", err)
		}
	}
	// Let an update that decided the outcome answer its caller first.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return "", err
	}
	return outcome, nil
}

// workerSettingsVersion marks runs that read the verification window
// from the worker (a recorded local activity) rather than their input.
const workerSettingsVersion = 1

// verificationWindow is the worker's verification window, recorded, for
// new runs; runs started before keep the one in their input.
func verificationWindow(ctx workflow.Context, in VerificationInput) (time.Duration, error) {
	if workflow.GetVersion(ctx, "verification-window-from-worker", workflow.DefaultVersion, workerSettingsVersion) == workflow.DefaultVersion {
		return cmp.Or(in.Window, activities.DefaultVerificationWindow), nil
	}
	var a *activities.Activities
	var window time.Duration
	err := runLocalThenDurably(ctx, time.Minute, a.VerificationWindow, &window)
	return window, err
}

// checkOptions are those of a check: a check that fails (the database is
// down, say) is only logged, and the next round checks again.
func checkOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3},
	})
}

func isWebhookGone(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrorTypeWebhookNotFound
}
