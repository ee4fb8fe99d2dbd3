// Package worker runs hookflow's Temporal worker: every workflow and
// activity, on one task queue, and the schedules of the reconciler and of
// retention.
package worker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
)

// DefaultTaskQueue is where hookflow's workflows and activities run.
const DefaultTaskQueue = "hookflow"

// New returns a worker with the workflows and activities registered; call
// Run or Start on it. Without acts.Runs, the reconciler and operational
// events ask c.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts worker.Options) worker.Worker {
	if acts.Runs == nil {
		acts.Runs = workflows.Starter{Client: c, TaskQueue: taskQueue}
	}
	w := worker.New(c, taskQueue, opts)
	w.RegisterWorkflow(workflows.Delivery)
	w.RegisterWorkflow(workflows.Verification)
	w.RegisterWorkflow(workflows.Reconcile)
	w.RegisterWorkflow(workflows.WebhookTest)
	w.RegisterWorkflow(workflows.WebhookCheck)
	w.RegisterWorkflow(workflows.Recovery)
	w.RegisterWorkflow(workflows.Prune)
	w.RegisterWorkflow(workflows.Drain)
	w.RegisterWorkflow(workflows.Probe)
	w.RegisterWorkflow(workflows.Batching)
	w.RegisterActivity(acts)
	return w
}
