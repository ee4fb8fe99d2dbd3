package bench

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// floorTaskQueue is the Temporal floor's own task queue, on the same
// server as hookflow's.
const floorTaskQueue = "hookflow-bench-floor"

// floorWorkflow is the least a Temporal delivery can be: one workflow,
// one local activity making the signed POST. hookflow cannot cost Temporal
// less per event than this.
func floorWorkflow(ctx workflow.Context, r referenceRequest) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 15 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaximumAttempts: 5},
	})
	var p *poster // the worker's; a nil receiver names the method
	return workflow.ExecuteLocalActivity(ctx, p.Post, r).Get(ctx, nil)
}

// startFloorWorker runs the floor's workflow and activity.
func startFloorWorker(tc client.Client, p *poster) (stop func(), err error) {
	w := sdkworker.New(tc, floorTaskQueue, sdkworker.Options{})
	w.RegisterWorkflow(floorWorkflow)
	w.RegisterActivity(p)
	if err := w.Start(); err != nil {
		return nil, err
	}
	return w.Stop, nil
}

// startFloorWorkflow starts the floor's workflow for one event, as
// hookflow's dispatcher starts a delivery workflow.
func startFloorWorkflow(tc client.Client, run string) func(context.Context, referenceRequest) error {
	return func(ctx context.Context, r referenceRequest) error {
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: floorWorkflowID(run, r.EventID), TaskQueue: floorTaskQueue,
		}, floorWorkflow, r)
		return err
	}
}

func floorWorkflowID(run, eventID string) string { return "bench-floor-" + run + "-" + eventID }
