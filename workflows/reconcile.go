package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// Reconcile is the belt to the delivery workflow's braces: run on a
// schedule (see worker.EnsureReconcileSchedule), it delivers again every
// event whose delivery workflow ended without recording an outcome for
// each of its webhooks. An outage delays it until the database is back.
func Reconcile(ctx workflow.Context) (activities.ReconcileResult, error) {
	var a *activities.Activities
	var res activities.ReconcileResult
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         outageRetryPolicy,
	})
	err := workflow.ExecuteActivity(ctx, a.ReconcileEvents).Get(ctx, &res)
	return res, err
}
