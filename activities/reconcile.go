package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// RunState is where an event's delivery workflow stands in Temporal.
type RunState int

const (
	// RunNotFound: Temporal knows no such workflow (never started, or its
	// history is past retention).
	RunNotFound RunState = iota
	// RunRunning: the workflow is still at work.
	RunRunning
	// RunCompleted: the workflow completed.
	RunCompleted
	// RunEnded: the workflow failed, timed out, or was terminated or cancelled.
	RunEnded
)

// DeliveryRuns is what the reconciler and operational events need from
// Temporal; workflows.Starter implements it.
type DeliveryRuns interface {
	// StartDelivery starts the delivery workflow of a stored event; once
	// started, starting it again is a no-op.
	StartDelivery(ctx context.Context, e *models.Event) error
	// DeliveryRunState says where the event's delivery workflow stands.
	DeliveryRunState(ctx context.Context, eventID string) (RunState, error)
	// RestartDelivery starts a new run of the event's delivery workflow,
	// whose previous run has closed.
	RestartDelivery(ctx context.Context, e *models.Event) error
	// ContinueDelivery hands a released delivery, pending again, to its
	// event's delivery workflow (starting a run if none is under way): its
	// next attempt is due at notBefore, numbered after its prior
	// attempts, within a retry window of its own.
	ContinueDelivery(ctx context.Context, d *models.Delivery, prior int, notBefore time.Time) error
	// ReleaseHeld has the webhook's drain workflow release its held
	// deliveries, starting it if none runs.
	ReleaseHeld(ctx context.Context, webhookID string) error
	// StartProbe starts the probe of a webhook hookflow disabled, unless
	// one runs.
	StartProbe(ctx context.Context, webhookID string) error
	// StartBatching starts the batching workflow of a batched webhook,
	// unless one runs.
	StartBatching(ctx context.Context, webhookID string) error
}

// ReconcileResult counts what one reconciler pass did.
type ReconcileResult struct {
	// Checked counts unsettled events looked at; Running those whose
	// workflow still runs; Settled those whose workflow completed with
	// every outcome recorded; Restarted those delivered again.
	Checked, Running, Settled, Restarted int
	// Drained counts active webhooks whose drain was started because they
	// still held deliveries ReconcileAfter after being held.
	Drained int
	// Batching counts batched webhooks whose batching workflow was started
	// because events had waited for a batch ReconcileAfter.
	Batching int `json:",omitempty"`
	// BatchesRetried counts pending batches handed to a new retry
	// workflow because their attempt was overdue by ReconcileAfter and
	// none ran.
	BatchesRetried int `json:",omitempty"`
}

// ReconcileEvents is the reconciler: a regular activity the Reconcile
// workflow runs on a schedule. It finds events dispatched ReconcileAfter
// ago and still not settled, that it has not looked at for ReconcileAfter,
// at most reconcileBatch of them, and asks Temporal about each one's
// delivery workflow. One that still runs is left alone. One that completed
// with no delivery pending had its outcomes recorded (by a worker from
// before settled_at): the event is settled. Any other gets a new run,
// which sends nothing already recorded as sent again.
func (a *Activities) ReconcileEvents(ctx context.Context) (res ReconcileResult, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	if a.Runs == nil {
		return res, fmt.Errorf("the reconciler needs Activities.Runs")
	}
	after := a.settings().ReconcileAfter
	now := models.Now()
	events, err := a.Store.UnsettledEvents(ctx, now.Add(-after), now.Add(-after), reconcileBatch)
	if err != nil {
		return res, err
	}
	for i := range events {
		if err := a.reconcile(ctx, &events[i], &res); err != nil {
			return res, fmt.Errorf("reconcile event %s: %w", events[i].ID, err)
		}
	}
	if err := a.drainForgotten(ctx, now.Add(-after), &res); err != nil {
		return res, err
	}
	if err := a.probeForgotten(ctx); err != nil {
		return res, err
	}
	if err := a.batchForgotten(ctx, now.Add(-after), &res); err != nil {
		return res, err
	}
	if err := a.retryForgottenBatches(ctx, now, now.Add(-after), &res); err != nil {
		return res, err
	}
	if res.Restarted > 0 || res.Settled > 0 || res.Drained > 0 || res.Batching > 0 || res.BatchesRetried > 0 {
		logger(ctx).Info("Reconciled events", "checked", res.Checked, "running", res.Running, "settled", res.Settled, "restarted", res.Restarted,
			"drained", res.Drained, "batching", res.Batching, "batches_retried", res.BatchesRetried)
	}
	return res, nil
}

// probeForgotten starts the probe of every webhook hookflow disabled that
// has none (its start was lost with a process that died); starting one
// that runs changes nothing.
func (a *Activities) probeForgotten(ctx context.Context) error {
	ids, err := a.Store.WebhooksDisabledByHookflow(ctx, reconcileBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.Runs.StartProbe(ctx, id); err != nil {
			return fmt.Errorf("start the probe of webhook %s: %w", id, err)
		}
	}
	return nil
}

// batchForgotten starts the batching workflow of every webhook with
// events waiting for a batch since before waitingBefore: its start was lost
// (Temporal was down when the webhook got its settings, or a process died)
// or it ended while events came. Starting one that runs changes nothing.
// Batched events are settled when stored, so this, not the unsettled
// events above, is what finds them.
func (a *Activities) batchForgotten(ctx context.Context, waitingBefore time.Time, res *ReconcileResult) error {
	ids, err := a.Store.WebhooksWithWaitingBatches(ctx, waitingBefore, reconcileBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.Runs.StartBatching(ctx, id); err != nil {
			return fmt.Errorf("start the batching of webhook %s: %w", id, err)
		}
		res.Batching++
	}
	return nil
}

// retryForgottenBatches hands each pending batch whose next attempt was
// due before dueBefore, and whose retry workflow no longer runs, to a new
// one: its next attempt is due now, numbered after the attempts it had.
// One whose workflow runs is left to it (its worker may be slow or down).
func (a *Activities) retryForgottenBatches(ctx context.Context, now, dueBefore time.Time, res *ReconcileResult) error {
	batches, err := a.Store.OverdueBatches(ctx, dueBefore, reconcileBatch)
	if err != nil {
		return err
	}
	for i := range batches {
		d := &batches[i]
		state, err := a.Runs.DeliveryRunState(ctx, d.EventID)
		if err != nil {
			return err
		}
		if state == RunRunning {
			continue
		}
		if err := a.Runs.ContinueDelivery(ctx, d, d.Attempts, now); err != nil {
			return fmt.Errorf("retry batch %s: %w", d.ID, err)
		}
		logger(ctx).Warn("Pending batch had no workflow retrying it; handed it to a new one", deliveryAttrs(d, "state", state.String())...)
		res.BatchesRetried++
	}
	return nil
}

// drainForgotten releases the deliveries that active webhooks still hold
// since before heldBefore: a release lost with a process that died, or a
// delivery held just as its webhook became active. Releasing joins a drain
// under way, so one that is merely slow loses nothing.
func (a *Activities) drainForgotten(ctx context.Context, heldBefore time.Time, res *ReconcileResult) error {
	ids, err := a.Store.ActiveWebhooksHoldingSince(ctx, heldBefore, reconcileBatch)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.Runs.ReleaseHeld(ctx, id); err != nil {
			return fmt.Errorf("release held deliveries of webhook %s: %w", id, err)
		}
		logger(ctx).Warn("Active webhook still held deliveries; released them", "webhook_id", id)
		res.Drained++
	}
	return nil
}

func (a *Activities) reconcile(ctx context.Context, e *models.Event, res *ReconcileResult) error {
	state, err := a.Runs.DeliveryRunState(ctx, e.ID)
	if err != nil {
		return err
	}
	res.Checked++
	restart := state != RunRunning
	switch state {
	case RunRunning:
		res.Running++
	case RunCompleted:
		pending, err := a.Store.HasPendingDeliveries(ctx, e.ID)
		if err != nil {
			return err
		}
		if !pending {
			restart = false
			if _, err := a.Store.SettleEventIfDone(ctx, e.ID); err != nil {
				return err
			}
			res.Settled++
		}
	}
	if restart {
		if err := a.Runs.RestartDelivery(ctx, e); err != nil {
			return err
		}
		logger(ctx).Warn("Delivery workflow ended without settling its event; started it again", "account_id", e.AccountID, "event_id", e.ID, "state", state.String())
		res.Restarted++
	}
	return a.Store.MarkReconciled(ctx, e.ID)
}

func (s RunState) String() string {
	switch s {
	case RunRunning:
		return "running"
	case RunCompleted:
		return "completed"
	case RunEnded:
		return "ended"
	}
	return "not found"
}
