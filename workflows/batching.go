package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
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
	// batchesPerRun bounds the collections of one run before it continues
	// as new: about eight history events each, so a run stays well under
	// Temporal's suggested size even when the server suggests nothing.
	batchesPerRun = 400
	// collectTimeout bounds one collection (it waits at most half a
	// minute), and collectHeartbeatTimeout is how soon one whose worker
	// died runs again elsewhere; the activity heartbeats every second.
	collectTimeout          = 2 * time.Minute
	collectHeartbeatTimeout = 10 * time.Second
	// deliverBatchTimeout bounds a batch's first attempt: reading its
	// events, the request, recording it.
	deliverBatchTimeout = 5 * time.Minute
)

// Batching delivers a batched webhook's events in batches, one batch at a
// time, in the order they were stored: a regular activity collects the
// next batch from the webhook's outbox (CollectBatch, which long-polls with
// heartbeats, so an idle webhook costs a few history events a minute), and
// a local activity makes its first attempt (DeliverBatch); a batch that
// fails is handed to a delivery workflow of its own for its retries, so
// a failing receiver never holds up the batches after it beyond its
// webhook's flow control and health rules (which hold or disable the
// webhook as for single deliveries). Temporal's cost is paid per batch, not
// per event. Nothing is kept in the workflow between collections: what it
// has collected is in the database, so it continues as new at any point.
// It ends when the webhook is gone, or no longer batched with nothing
// waiting. An outage delays it, never ends it.
func Batching(ctx workflow.Context, in BatchingInput) (BatchingResult, error) {
	var a *activities.Activities
	collectCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: collectTimeout,
		HeartbeatTimeout:    collectHeartbeatTimeout,
		RetryPolicy:         outageRetryPolicy,
	})
	var result BatchingResult
	for range batchesPerRun {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			break
		}
		var got activities.BatchCollected
		if err := workflow.ExecuteActivity(collectCtx, a.CollectBatch, in.WebhookID).Get(ctx, &got); err != nil {
			return result, err // cancelled
		}
		if got.Done {
			workflow.GetLogger(ctx).Info("Batching ended: the webhook is gone or no longer batched", "webhook_id", in.WebhookID)
			return result, nil
		}
		if got.DeliveryID == "" {
			continue // nothing was ready
		}
		var delivered activities.BatchDelivered
		if err := runLocalThenDurably(ctx, deliverBatchTimeout, a.DeliverBatch, &delivered, got.DeliveryID); err != nil {
			if temporal.IsCanceledError(err) {
				return result, err
			}
			// A verdict, not an outage: the next collection finds the
			// batch again if it was never attempted.
			workflow.GetLogger(ctx).Error("Batch not delivered", "webhook_id", in.WebhookID, "delivery_id", got.DeliveryID, "error", err)
		}
		result.Batches++
		result.Events += got.Events
	}
	return result, workflow.NewContinueAsNewError(ctx, Batching, in)
}
