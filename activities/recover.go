package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/models"
)

// RecoverDeliveries is the work of a recovery workflow, a page at a time:
// a regular activity that re-delivers the failed deliveries of the
// recovery's window in id order, one attempt each, at most MaxRPS a
// second, until it has handled recoveryPageDeliveries or spent
// recoveryPageTime; then the workflow runs it again. Each attempt is
// recorded with the recovery's counters and position in one transaction,
// so a run that starts over after its worker died goes on after the last
// one recorded and never sends again what succeeded (the one it had in
// flight, unrecorded, it attempts again). It claims each delivery only
// while the recovery is running, so once the recovery was cancelled it
// sends nothing more; and it heartbeats all along, so a cancelled
// workflow's run stops within a heartbeat. It ends the recovery: completed
// when no failed delivery is left, failed when its webhook no longer takes
// events (then the delivery it had claimed is failed again, unsent).
func (a *Activities) RecoverDeliveries(ctx context.Context, recoveryID string) (res RecoveryProgress, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	r, err := models.Get[models.Recovery](ctx, a.Store, recoveryID)
	if errors.Is(err, models.ErrNotFound) {
		return RecoveryProgress{Finished: true}, nil // deleted with its account
	}
	if err != nil {
		return res, err
	}
	if r.Status != models.RecoveryRunning {
		return RecoveryProgress{Finished: true}, nil
	}
	defer heartbeatUntilDone(ctx)()

	if r.InFlightID != nil {
		if stop, err := a.resumeInFlight(ctx, r); err != nil || stop {
			return RecoveryProgress{Finished: stop}, err
		}
		r.LastDeliveryID = max(r.LastDeliveryID, *r.InFlightID) // done now, however it went
	}
	if err := a.Store.RecountRecovery(ctx, r); err != nil {
		return res, err
	}
	// One request every 1/MaxRPS seconds, starting with a wait: the last
	// page's last request may have just gone out.
	pace := rate.NewLimiter(rate.Limit(r.MaxRPS), 1)
	pace.Allow()
	endBy := time.Now().Add(recoveryPageTime)
	for handled := 0; handled < recoveryPageDeliveries && time.Now().Before(endBy); {
		batch, err := a.Store.DeliveriesToRecover(ctx, r, min(recoveryBatch, recoveryPageDeliveries-handled))
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			if _, err := a.Store.EndRecovery(ctx, r.ID, models.RecoveryCompleted, ""); err != nil {
				return res, err
			}
			logger(ctx).Info("Recovery completed", "recovery_id", r.ID)
			return RecoveryProgress{Finished: true}, nil
		}
		for i := 0; i < len(batch) && time.Now().Before(endBy); i++ {
			if err := pace.Wait(ctx); err != nil {
				return res, err // cancelled, or the worker is stopping
			}
			stop, err := a.recoverOne(ctx, r, &batch[i])
			if err != nil || stop {
				return RecoveryProgress{Finished: stop}, err
			}
			r.LastDeliveryID = batch[i].ID
			handled++
		}
	}
	return RecoveryProgress{}, nil
}

// recoverOne claims a failed delivery for the recovery and makes its one
// attempt. stop is true once the recovery has ended.
func (a *Activities) recoverOne(ctx context.Context, r *models.Recovery, d *models.Delivery) (stop bool, err error) {
	claimed, err := a.Store.ClaimForRecovery(ctx, r.ID, d)
	switch {
	case errors.Is(err, models.ErrRecoveryEnded):
		return true, nil
	case err != nil:
		return false, err
	case !claimed:
		return false, nil // resent or delivered meanwhile: no longer failed
	}
	d.Status = models.DeliveryPending
	return a.attemptRecovered(ctx, r, d)
}

// resumeInFlight attempts the delivery a run that died had claimed and not
// recorded, if it is still the recovery's to attempt.
func (a *Activities) resumeInFlight(ctx context.Context, r *models.Recovery) (stop bool, err error) {
	d, err := models.Get[models.Delivery](ctx, a.Store, *r.InFlightID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && d.Status != models.DeliveryPending) {
		return false, a.Store.PassOverForRecovery(ctx, r.ID, *r.InFlightID)
	}
	if err != nil {
		return false, err
	}
	return a.attemptRecovered(ctx, r, d)
}

// attemptRecovered makes the one attempt of a delivery the recovery has
// claimed, and records it with the recovery's counters. Once claimed, the
// attempt runs to its end even if the activity is cancelled meanwhile:
// what was sent is recorded as sent.
func (a *Activities) attemptRecovered(ctx context.Context, r *models.Recovery, d *models.Delivery) (stop bool, err error) {
	ctx = context.WithoutCancel(ctx)
	w, err := models.Get[models.Webhook](ctx, a.Store, d.WebhookID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && w.Status != models.WebhookActive) {
		reason := "webhook " + d.WebhookID + " was deleted"
		if w != nil {
			reason = "webhook " + w.ID + " is " + string(w.Status)
		}
		return true, a.stopRecovery(ctx, r, d, reason)
	}
	if err != nil {
		return false, err
	}
	e, err := a.deliveryEvent(ctx, d)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return false, a.failRecovered(ctx, r, d, "event "+d.EventID+" was deleted")
	case errors.Is(err, models.ErrUnreadable):
		return false, a.failRecovered(ctx, r, d, "event "+d.EventID+" cannot be read: "+err.Error())
	case err != nil:
		return false, err
	}
	out, err := a.attempt(ctx, d, w, e, attemptRules{last: true, record: func(ctx context.Context, rec models.AttemptRecord) error {
		return a.Store.RecordRecoveryAttempt(ctx, r.ID, rec)
	}})
	if errors.Is(err, models.ErrConflict) {
		// Another attempt of it was recorded meanwhile: it is not ours any more.
		return false, a.Store.PassOverForRecovery(ctx, r.ID, d.ID)
	}
	if err != nil {
		return false, err
	}
	logger(ctx).Info("Delivery recovered", "recovery_id", r.ID, "delivery_id", d.ID, "status", out.Status, "reason", out.Reason)
	_, err = a.Store.SettleEventIfDone(ctx, d.EventID)
	return false, err
}

// failRecovered fails a claimed delivery that cannot be attempted, counted
// as the recovery's.
func (a *Activities) failRecovered(ctx context.Context, r *models.Recovery, d *models.Delivery, reason string) error {
	if err := a.Store.FailForRecovery(ctx, r.ID, d.ID, reason); err != nil {
		return err
	}
	_, err := a.Store.SettleEventIfDone(ctx, d.EventID)
	return err
}

// stopRecovery ends a recovery whose webhook no longer takes events: the
// delivery it had claimed is failed again, unsent and not counted.
func (a *Activities) stopRecovery(ctx context.Context, r *models.Recovery, d *models.Delivery, reason string) error {
	if _, err := a.Store.FailPendingDelivery(ctx, d.ID, reason); err != nil {
		return err
	}
	if err := a.Store.PassOverForRecovery(ctx, r.ID, d.ID); err != nil {
		return err
	}
	if _, err := a.Store.SettleEventIfDone(ctx, d.EventID); err != nil {
		return err
	}
	if _, err := a.Store.EndRecovery(ctx, r.ID, models.RecoveryFailed, reason+": the recovery stopped"); err != nil {
		return err
	}
	logger(ctx).Warn("Recovery stopped", "recovery_id", r.ID, "reason", reason)
	return nil
}

// EndRecovery records that a recovery ended with status (a cancelled
// workflow runs it); it changes nothing once the recovery has ended.
func (a *Activities) EndRecovery(ctx context.Context, recoveryID string, status models.RecoveryStatus, reason string) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	_, err = a.Store.EndRecovery(ctx, recoveryID, status, reason)
	return err
}

// heartbeatUntilDone heartbeats a long activity every recoveryHeartbeat
// (the SDK sends at most one per 80% of the heartbeat timeout), so a
// cancellation reaches it whatever it is waiting for; the function it
// returns stops it. Outside Temporal it does nothing.
func heartbeatUntilDone(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(recoveryHeartbeat)
		defer tick.Stop()
		for {
			activity.RecordHeartbeat(ctx)
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}
