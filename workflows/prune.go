package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// pruneCallsPerRun bounds one run of Prune, and so its history: what a
// long backlog leaves is the next scheduled run's.
const pruneCallsPerRun = 60

// pruneTimeout bounds one run of PruneExpired, which stops itself after a
// minute.
const pruneTimeout = 5 * time.Minute

// Prune is retention: run on a schedule (see worker.EnsurePruneSchedule),
// it deletes what was delivered longer than the worker's retention ago, a
// minute of small batches at a time, until nothing is left or it has run
// pruneCallsPerRun times. An outage delays it until the database is back;
// it never ends it.
func Prune(ctx workflow.Context) (activities.PruneResult, error) {
	var a *activities.Activities
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: pruneTimeout,
		RetryPolicy:         outageRetryPolicy,
	})
	var total activities.PruneResult
	for range pruneCallsPerRun {
		var res activities.PruneResult
		if err := workflow.ExecuteActivity(ctx, a.PruneExpired).Get(ctx, &res); err != nil {
			return total, err // cancelled
		}
		total.Add(res)
		if res.Done {
			break
		}
	}
	return total, nil
}
