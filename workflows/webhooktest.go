package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// A test or a check is a manual action whose caller waits for the answer
// (the API, up to a minute), so each is one small workflow: one local
// activity, whose result is the workflow's. Unlike a delivery, nothing is
// retried for long: a test sent after its caller gave up would surprise
// the receiver, and the caller can simply ask again.
const (
	// webhookTestActivityTimeout bounds the local activity of a test (one
	// request of at most 30 s, and reading the webhook) or of a check,
	// whose webhooks are tested until this deadline.
	webhookTestActivityTimeout = 40 * time.Second
	// WebhookTestRunTimeout bounds a test or check run from its start: one
	// that no worker ran in time ends unrun, so nothing is sent once its
	// caller stopped waiting.
	WebhookTestRunTimeout = 50 * time.Second
)

// WebhookTest sends one signed sample event to a webhook now and returns
// what was sent and how the receiver answered. A webhook that is gone or
// unverified ends it with the activity's non-retryable error.
func WebhookTest(ctx workflow.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error) {
	var a *activities.Activities
	var res activities.WebhookTestResult
	err := workflow.ExecuteLocalActivity(webhookTestOptions(ctx), a.SendTestEvent, in).Get(ctx, &res)
	return res, err
}

// WebhookCheck tests every active webhook of an account, and whether each
// refuses forged signatures, and returns one result per webhook.
func WebhookCheck(ctx workflow.Context, in activities.WebhookCheckInput) ([]activities.WebhookCheck, error) {
	var a *activities.Activities
	var res []activities.WebhookCheck
	err := workflow.ExecuteLocalActivity(webhookTestOptions(ctx), a.CheckWebhooks, in).Get(ctx, &res)
	return res, err
}

// webhookTestOptions run the local activity of a test or a check: a blip
// of the database (before anything is sent) is retried a few times, a
// second apart, within the one deadline.
func webhookTestOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: webhookTestActivityTimeout,
		StartToCloseTimeout:    webhookTestActivityTimeout,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 1, MaximumAttempts: localAttempts},
	})
}
