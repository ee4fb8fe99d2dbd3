package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

func newRecoveryEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Recovery)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func TestRecoveryRunsPagesUntilFinished(t *testing.T) {
	env := newRecoveryEnv(t)
	var a *activities.Activities
	pages := 0
	env.OnActivity(a.RecoverDeliveries, mock.Anything, "rec_1").Return(func(context.Context, string) (activities.RecoveryProgress, error) {
		pages++
		return activities.RecoveryProgress{Finished: pages == 3}, nil
	})

	env.ExecuteWorkflow(Recovery, RecoveryInput{RecoveryID: "rec_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, 3, pages)
}

// However many pages a recovery takes, a run's history holds at most
// recoveryPagesPerRun of them: then it continues as new.
func TestRecoveryContinuesAsNewAfterItsPages(t *testing.T) {
	env := newRecoveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.RecoverDeliveries, mock.Anything, "rec_1").Return(activities.RecoveryProgress{}, nil).Times(recoveryPagesPerRun)

	env.ExecuteWorkflow(Recovery, RecoveryInput{RecoveryID: "rec_1"})

	var in RecoveryInput
	requireContinuedAsNew(t, env, &in)
	require.Equal(t, RecoveryInput{RecoveryID: "rec_1"}, in)
}

// A database outage delays a page, never ends the recovery.
func TestRecoveryWaitsOutAnOutage(t *testing.T) {
	env := newRecoveryEnv(t)
	var a *activities.Activities
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.OnActivity(a.RecoverDeliveries, mock.Anything, "rec_1").Return(func(ctx context.Context, _ string) (activities.RecoveryProgress, error) {
		if env.Now().Sub(started) < time.Hour {
			return activities.RecoveryProgress{}, databaseDown(ctx)
		}
		return activities.RecoveryProgress{Finished: true}, nil
	})

	env.ExecuteWorkflow(Recovery, RecoveryInput{RecoveryID: "rec_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
}

// Cancelling the workflow stops the page under way and records the
// recovery as cancelled.
func TestCancellingARecoveryStopsItAndRecordsIt(t *testing.T) {
	env := newRecoveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.RecoverDeliveries, mock.Anything, "rec_1").Return(func(ctx context.Context, _ string) (activities.RecoveryProgress, error) {
		env.CancelWorkflow() // while the page is under way
		<-ctx.Done()
		return activities.RecoveryProgress{}, ctx.Err()
	}).Once()
	env.OnActivity(a.EndRecovery, mock.Anything, "rec_1", models.RecoveryCancelled, "").Return(nil).Once()

	env.ExecuteWorkflow(Recovery, RecoveryInput{RecoveryID: "rec_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()), "err %v", env.GetWorkflowError())
}
