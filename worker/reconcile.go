package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/workflows"
)

// minCatchupWindow is the shortest catch-up window Temporal accepts.
const minCatchupWindow = 10 * time.Second

// EnsureReconcileSchedule creates the Temporal schedule that runs the
// reconciler (workflows.Reconcile) every interval on taskQueue, or brings
// the existing one to that interval and queue. Every worker calls it at
// start: there is one schedule, so the reconciler runs in one place, and a
// run still busy (the database is down) makes the next ones skip.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.ReconcileScheduleID,
		Workflow:  workflows.Reconcile,
		TaskQueue: taskQueue,
	}
	// Passes missed while Temporal was down are not made up: the next
	// one sees all they would have.
	catchup := max(every, minCatchupWindow)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:            workflows.ReconcileScheduleID,
		Spec:          spec,
		Action:        action,
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: catchup,
		Note:          "hookflow: delivers again events whose delivery workflow ended without every outcome recorded",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the reconciler's schedule: %w", err)
	}
	err = c.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			s.Policy = &client.SchedulePolicies{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the reconciler's schedule: %w", err)
	}
	return nil
}
