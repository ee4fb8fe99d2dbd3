package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// RecoveryInput starts (or continues) the recovery of one webhook's failed
// deliveries; everything else about it is in its row.
type RecoveryInput struct {
	RecoveryID string
}

const (
	// recoveryPagesPerRun is how many pages one run works through before
	// it continues as new: a run's history stays at a few dozen events
	// however many deliveries the recovery has.
	recoveryPagesPerRun = 20
	// recoveryPageTimeout bounds one page: at most five minutes of work,
	// and the request then under way.
	recoveryPageTimeout = 10 * time.Minute
	// recoveryHeartbeatTimeout is how soon a page whose worker died is
	// started again elsewhere; the activity heartbeats every second.
	recoveryHeartbeatTimeout = 10 * time.Second
	// endRecoveryTimeout bounds recording how a recovery ended.
	endRecoveryTimeout = time.Minute
)

// Recovery re-delivers the failed deliveries of a webhook in a window, one
// attempt each, at the recovery's pace (see activities.RecoverDeliveries).
// The work is done a page at a time by one activity, which keeps its
// progress in the database with each attempt, so the history holds one
// activity per page, and a worker that dies loses nothing: the page starts
// again where the last attempt was recorded. Every recoveryPagesPerRun
// pages it continues as new. Cancelling the workflow stops it at once (the
// attempt under way is finished and recorded) and records the recovery as
// cancelled, if the API did not already.
func Recovery(ctx workflow.Context, in RecoveryInput) error {
	var a *activities.Activities
	pageCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: recoveryPageTimeout,
		HeartbeatTimeout:    recoveryHeartbeatTimeout,
		RetryPolicy:         outageRetryPolicy,
		WaitForCancellation: true,
	})
	for range recoveryPagesPerRun {
		var progress activities.RecoveryProgress
		err := workflow.ExecuteActivity(pageCtx, a.RecoverDeliveries, in.RecoveryID).Get(ctx, &progress)
		if temporal.IsCanceledError(err) || (err == nil && ctx.Err() != nil) {
			return endRecovery(ctx, in.RecoveryID, models.RecoveryCancelled, "")
		}
		if err != nil {
			// Not worth retrying (its row cannot be read): say so and stop.
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) {
				_ = endRecovery(ctx, in.RecoveryID, models.RecoveryFailed, appErr.Error())
			}
			return err
		}
		if progress.Finished {
			return nil
		}
	}
	return workflow.NewContinueAsNewError(ctx, Recovery, in)
}

// endRecovery records how a recovery ended, whatever it takes, even once
// the workflow is cancelled; it returns the cancellation, if any.
func endRecovery(ctx workflow.Context, recoveryID string, status models.RecoveryStatus, reason string) error {
	var a *activities.Activities
	done, _ := workflow.NewDisconnectedContext(ctx)
	if err := runLocalThenDurably(done, endRecoveryTimeout, a.EndRecovery, nil, recoveryID, status, reason); err != nil {
		return err
	}
	return ctx.Err()
}
