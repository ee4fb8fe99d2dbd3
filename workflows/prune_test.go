package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
)

func newPruneEnv(t *testing.T) *testsuite.TestWorkflowEnvironment { return newWorkflowEnv(t, Prune) }

func pruneResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) activities.PruneResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res activities.PruneResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// A backlog takes several runs of the activity, each a minute of batches;
// the workflow adds them up and stops once one got to the end.
func TestPruneRunsUntilNothingIsLeft(t *testing.T) {
	env := newPruneEnv(t)
	var a *activities.Activities
	env.OnActivity(a.PruneExpired, mock.Anything).Return(activities.PruneResult{Deliveries: 500, Attempts: 900, Events: 400}, nil).Twice()
	env.OnActivity(a.PruneExpired, mock.Anything).Return(activities.PruneResult{Deliveries: 10, Events: 20, IdempotencyKeys: 3, Done: true}, nil).Once()
	env.ExecuteWorkflow(Prune)
	require.Equal(t, activities.PruneResult{Deliveries: 1010, Attempts: 1800, Events: 820, IdempotencyKeys: 3, Done: true}, pruneResult(t, env))
}

// A run stops after pruneCallsPerRun calls, so its history stays small;
// the next scheduled run goes on.
func TestPruneRunIsBounded(t *testing.T) {
	env := newPruneEnv(t)
	var a *activities.Activities
	env.OnActivity(a.PruneExpired, mock.Anything).Return(activities.PruneResult{Events: 1}, nil).Times(pruneCallsPerRun)
	env.ExecuteWorkflow(Prune)
	require.Equal(t, activities.PruneResult{Events: pruneCallsPerRun}, pruneResult(t, env))
}

// The database is down for hours: the activity is retried, never giving
// up, and retention completes once it is back.
func TestPruneOutlivesADatabaseOutage(t *testing.T) {
	env := newPruneEnv(t)
	var a *activities.Activities
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	calls := 0
	env.OnActivity(a.PruneExpired, mock.Anything).Return(func(ctx context.Context) (activities.PruneResult, error) {
		calls++
		if env.Now().Sub(started) < 3*time.Hour {
			return activities.PruneResult{}, databaseDown(ctx)
		}
		return activities.PruneResult{Deliveries: 7, Done: true}, nil
	})
	env.ExecuteWorkflow(Prune)
	require.Equal(t, activities.PruneResult{Deliveries: 7, Done: true}, pruneResult(t, env))
	require.Greater(t, calls, 5, "retried through the outage")
}
