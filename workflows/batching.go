package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// BatchingInput starts (or continues) the batching of one webhook.
type BatchingInput struct {
	WebhookID string
}

// BatchingResult counts the batches one run collected.
type BatchingResult struct {
	Batches int
	Events  int
}

const (
	// runsPerBatchingRun bounds the runs of DeliverBatches of one workflow
	// run before it continues as new: about six history events each, so a
	// run stays well under Temporal's suggested size even when the server
	// suggests nothing.
	runsPerBatchingRun = 500
	// deliverBatchesTimeout bounds one run of DeliverBatches (half a
	// minute of work, and the request then under way), and
	// batchesHeartbeatTimeout is how soon one whose worker died runs again
	// elsewhere; the activity heartbeats every second.
	deliverBatchesTimeout   = 3 * time.Minute
	batchesHeartbeatTimeout = 10 * time.Second
)

// Batching delivers a batched webhook's events in batches, one batch at a
// time, in the order they were stored. Its one activity, DeliverBatches,
// runs for up to half a minute, heartbeating: it collects the next batch
// from the webhook's outbox as soon as one is ready and makes its first
// attempt, batch after batch, so Temporal's cost is paid per run of it,
// not per batch or per event (an idle webhook costs a few history events
// a minute). A batch that fails is handed to a delivery workflow of its
// own for its retries, so a failing receiver never holds up the batches
// after it beyond its webhook's flow control and health rules (which hold
// or disable the webhook as for single deliveries). Nothing is kept in the
// workflow between runs: what it collected is in the database, so it
// continues as new at any point. It ends when the webhook is gone, or no
// longer batched with nothing waiting. An outage delays it, never ends it.
func Batching(ctx workflow.Context, in BatchingInput) (BatchingResult, error) {
	var a *activities.Activities
	runCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: deliverBatchesTimeout,
		HeartbeatTimeout:    batchesHeartbeatTimeout,
		RetryPolicy:         outageRetryPolicy,
	})
	var result BatchingResult
	for range runsPerBatchingRun {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			break
		}
		var got activities.BatchesDelivered
		if err := workflow.ExecuteActivity(runCtx, a.DeliverBatches, in.WebhookID).Get(ctx, &got); err != nil {
			return result, err // cancelled
		}
		result.Batches += got.Batches
		result.Events += got.Events
		if got.Done {
			workflow.GetLogger(ctx).Info("Batching ended: the webhook is gone or no longer batched", "webhook_id", in.WebhookID)
			return result, nil
		}
	}
	return result, workflow.NewContinueAsNewError(ctx, Batching, in)
}
