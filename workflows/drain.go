package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// SignalRelease tells a webhook's drain that the webhook became active
// again: what it holds is to be released, including anything held since
// the drain last looked. Starter.ReleaseHeld sends it with start.
const SignalRelease = "release"

// DrainInput starts (or continues) the drain of one webhook.
type DrainInput struct {
	WebhookID string
}

// DrainResult counts what one run of a drain released, and says why it ended.
type DrainResult struct {
	Released int
	// Stopped: the webhook was paused or disabled again (or deleted); what
	// it still holds waits for the next release.
	Stopped bool `json:",omitempty"`
}

const (
	// drainPagesPerRun is how many pages one run releases before it
	// continues as new, so its history stays small however long the backlog.
	drainPagesPerRun = 20
	// drainPageTimeout bounds one page: at most five minutes of work, and
	// the request then under way.
	drainPageTimeout = 10 * time.Minute
	// drainHeartbeatTimeout is how soon a page whose worker died is started
	// again elsewhere; the activity heartbeats every second.
	drainHeartbeatTimeout = 10 * time.Second
)

// Drain releases a webhook's held deliveries once it is active again, in
// the order their events happened, one at a time (see
// activities.ReleaseHeldPage): each gets its attempt, and one that is not
// delivered yet goes on in its event's delivery workflow. It stops as soon
// as the webhook is no longer active (the rest stay held), and ends when
// nothing is held any more, unless a release came meanwhile: then it looks
// again. After drainPagesPerRun pages it continues as new. An outage
// delays a page, never ends the drain.
func Drain(ctx workflow.Context, in DrainInput) (DrainResult, error) {
	var a *activities.Activities
	releases := workflow.GetSignalChannel(ctx, SignalRelease)
	pageCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: drainPageTimeout,
		HeartbeatTimeout:    drainHeartbeatTimeout,
		RetryPolicy:         outageRetryPolicy,
	})
	var result DrainResult
	for range drainPagesPerRun {
		// Every release so far is answered by the page that follows.
		for releases.ReceiveAsync(nil) {
		}
		var page activities.DrainProgress
		if err := workflow.ExecuteActivity(pageCtx, a.ReleaseHeldPage, in.WebhookID).Get(ctx, &page); err != nil {
			return result, err // cancelled, or a verdict not worth retrying
		}
		result.Released += page.Released
		switch {
		case page.Stopped:
			result.Stopped = true
			workflow.GetLogger(ctx).Info("Drain stopped: the webhook is no longer active", "webhook_id", in.WebhookID, "released", result.Released)
			return result, nil
		case page.Done && releases.Len() == 0:
			workflow.GetLogger(ctx).Info("Drain done", "webhook_id", in.WebhookID, "released", result.Released)
			return result, nil
		}
	}
	return result, workflow.NewContinueAsNewError(ctx, Drain, in)
}
