package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// VerificationInput starts the ownership check of one webhook.
type VerificationInput struct {
	WebhookID string
	// Window is how long hookflow keeps re-checking on its own (default 7 days).
	Window time.Duration
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

const DefaultVerificationWindow = 7 * 24 * time.Hour

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
	if in.Window <= 0 {
		in.Window = DefaultVerificationWindow
	}
	deadline := workflow.Now(ctx).Add(in.Window)
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
			if err := workflow.ExecuteActivity(checkOptions(ctx), a.ExpireVerification, in.WebhookID).Get(ctx, nil); err != nil {
				return "", err
			}
			outcome = VerificationExpired
			break
		}
		if _, err := check(ctx); err != nil && outcome == "" {
			workflow.GetLogger(ctx).Warn("verification check failed", "webhook", in.WebhookID, "error", err)
		}
	}
	// Let an update that decided the outcome answer its caller first.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return "", err
	}
	return outcome, nil
}

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
