package worker

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/workflows"
)

// EnsureReconcileSchedule creates the Temporal schedule that runs the
// reconciler (workflows.Reconcile) every interval on taskQueue, or brings
// the existing one to that interval and queue.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	return ensureSchedule(ctx, c, every, &client.ScheduleWorkflowAction{
		ID:        workflows.ReconcileScheduleID,
		Workflow:  workflows.Reconcile,
		TaskQueue: taskQueue,
	}, "hookflow: delivers again events whose delivery workflow ended without every outcome recorded")
}
