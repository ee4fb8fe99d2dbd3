package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// minCatchupWindow is the shortest catch-up window Temporal accepts.
const minCatchupWindow = 10 * time.Second

// ensureSchedule creates the schedule that starts action every interval,
// or brings the existing one to that interval and action. Every worker
// calls it at start: there is one schedule, so its workflow runs in one
// place, and a run still busy (the database is down) makes the next ones
// skip. Runs missed while Temporal was down are not made up: the next one
// does what they would have.
func ensureSchedule(ctx context.Context, c client.Client, every time.Duration, action *client.ScheduleWorkflowAction, note string) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	catchup := max(every, minCatchupWindow)
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:            action.ID,
		Spec:          spec,
		Action:        action,
		Overlap:       enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: catchup,
		Note:          note,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create the schedule %s: %w", action.ID, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, action.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &spec
			s.Action = action
			s.Policy = &client.SchedulePolicies{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: catchup}
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update the schedule %s: %w", action.ID, err)
	}
	return nil
}
