package worker

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/workflows"
)

// PruneInterval is how often retention runs.
const PruneInterval = time.Hour

// EnsurePruneSchedule creates the Temporal schedule that runs retention
// (workflows.Prune) every PruneInterval on taskQueue, or brings the
// existing one to that queue. What it keeps is the workers' setting.
func EnsurePruneSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	return ensureSchedule(ctx, c, PruneInterval, &client.ScheduleWorkflowAction{
		ID:        workflows.PruneScheduleID,
		Workflow:  workflows.Prune,
		TaskQueue: taskQueue,
	}, "hookflow: deletes events, deliveries and attempts delivered longer ago than HOOKFLOW_RETENTION, and expired Idempotency-Key records")
}
