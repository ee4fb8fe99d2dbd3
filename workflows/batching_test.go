package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

func newBatchingEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Batching)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

// The batching workflow attempts each batch it collects, in the order
// collected, goes on after a collection that found nothing ready and
// after a batch handed on for retries, and ends once its webhook is no
// longer batched.
func TestBatchingDeliversEachBatchInTurnUntilDone(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	collections := []activities.BatchCollected{
		{DeliveryID: "dlv_1", Events: 100},
		{}, // nothing ready within the collection's time
		{DeliveryID: "dlv_2", Events: 7},
		{Done: true},
	}
	env.OnActivity(a.CollectBatch, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.BatchCollected, error) {
		next := collections[0]
		collections = collections[1:]
		return next, nil
	}).Times(4)
	var delivered []string
	env.OnActivity(a.DeliverBatch, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) (activities.BatchDelivered, error) {
		delivered = append(delivered, id)
		if id == "dlv_1" {
			return activities.BatchDelivered{Status: models.DeliveryPending, Retrying: true}, nil
		}
		return activities.BatchDelivered{Status: models.DeliverySucceeded}, nil
	}).Times(2)

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res BatchingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, BatchingResult{Batches: 2, Events: 107}, res)
	require.Equal(t, []string{"dlv_1", "dlv_2"}, delivered)
}

// An outage delays a collection and a batch's first attempt, never ends the
// workflow: the collection is retried, and the attempt moves on to a
// regular activity retried until the database is back.
func TestBatchingWaitsOutAnOutage(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	down := errors.New("database is down")
	collections := 0
	env.OnActivity(a.CollectBatch, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.BatchCollected, error) {
		collections++
		switch collections {
		case 1, 2:
			return activities.BatchCollected{}, down
		case 3:
			return activities.BatchCollected{DeliveryID: "dlv_1", Events: 3}, nil
		}
		return activities.BatchCollected{Done: true}, nil
	})
	attempts := 0
	env.OnActivity(a.DeliverBatch, mock.Anything, "dlv_1").Return(func(context.Context, string) (activities.BatchDelivered, error) {
		attempts++
		if attempts <= localAttempts+1 {
			return activities.BatchDelivered{}, down
		}
		return activities.BatchDelivered{Status: models.DeliverySucceeded}, nil
	})

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res BatchingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, BatchingResult{Batches: 1, Events: 3}, res)
	require.Equal(t, 4, collections)
	require.Equal(t, localAttempts+2, attempts, "local attempts, then regular ones until it succeeded")
}

// A run continues as new after batchesPerRun collections, so its history
// stays small however long the webhook is batched; it keeps nothing but
// its webhook.
func TestBatchingContinuesAsNew(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	env.OnActivity(a.CollectBatch, mock.Anything, "wh_1").Return(activities.BatchCollected{}, nil).Times(batchesPerRun)

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	var in BatchingInput
	requireContinuedAsNew(t, env, &in)
	require.Equal(t, BatchingInput{WebhookID: "wh_1"}, in)
}

// A batch's attempt that ends in a verdict (not an outage) is logged and
// the workflow goes on with the next batch.
func TestBatchingGoesOnAfterAVerdict(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	collections := 0
	env.OnActivity(a.CollectBatch, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.BatchCollected, error) {
		collections++
		if collections == 1 {
			return activities.BatchCollected{DeliveryID: "dlv_1", Events: 1}, nil
		}
		return activities.BatchCollected{Done: true}, nil
	})
	env.OnActivity(a.DeliverBatch, mock.Anything, "dlv_1").
		Return(activities.BatchDelivered{}, temporal.NewNonRetryableApplicationError("no", "Verdict", nil)).Once()

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}
