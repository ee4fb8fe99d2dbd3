package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
)

func newBatchingEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Batching)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func batchingResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) BatchingResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res BatchingResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// The batching workflow runs DeliverBatches again and again, counting what
// each delivered (a run that found nothing ready too), until its webhook
// is no longer batched.
func TestBatchingRunsUntilDone(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	runs := []activities.BatchesDelivered{
		{Batches: 3, Events: 250, Retrying: 1},
		{}, // nothing was ready
		{Batches: 1, Events: 7},
		{Done: true},
	}
	env.OnActivity(a.DeliverBatches, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.BatchesDelivered, error) {
		next := runs[0]
		runs = runs[1:]
		return next, nil
	}).Times(4)

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.Equal(t, BatchingResult{Batches: 4, Events: 257}, batchingResult(t, env))
}

// An outage delays the batching, never ends it: the run is retried until
// the database is back.
func TestBatchingWaitsOutAnOutage(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	down := errors.New("database is down")
	runs := 0
	env.OnActivity(a.DeliverBatches, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.BatchesDelivered, error) {
		runs++
		switch runs {
		case 1, 2, 3:
			return activities.BatchesDelivered{}, down
		case 4:
			return activities.BatchesDelivered{Batches: 1, Events: 3}, nil
		}
		return activities.BatchesDelivered{Done: true}, nil
	})

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.Equal(t, BatchingResult{Batches: 1, Events: 3}, batchingResult(t, env))
	require.Equal(t, 5, runs)
}

// A run continues as new after runsPerBatchingRun runs of DeliverBatches,
// so its history stays small however long the webhook is batched; it
// keeps nothing but its webhook.
func TestBatchingContinuesAsNew(t *testing.T) {
	env := newBatchingEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverBatches, mock.Anything, "wh_1").Return(activities.BatchesDelivered{Batches: 1, Events: 100}, nil).Times(runsPerBatchingRun)

	env.ExecuteWorkflow(Batching, BatchingInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	var in BatchingInput
	requireContinuedAsNew(t, env, &in)
	require.Equal(t, BatchingInput{WebhookID: "wh_1"}, in)
}
