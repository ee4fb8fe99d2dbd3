package activities

import (
	"context"
	"errors"
	"time"

	"github.com/hookflow/hookflow/models"
)

// A drain's work comes in pages, like a recovery's: one run of
// ReleaseHeldPage releases at most drainPageDeliveries deliveries and
// starts no new one after drainPageTime, reading them drainBatch at a time.
const (
	drainPageDeliveries = 500
	drainPageTime       = 5 * time.Minute
	drainBatch          = 50
	// drainThrottleWait is the longest the drain waits for a slot its
	// webhook's flow control reserved for a released delivery; a longer
	// wait hands the delivery to its event's workflow.
	drainThrottleWait = time.Minute
)

// DrainProgress is where one run of ReleaseHeldPage left a webhook's drain.
type DrainProgress struct {
	// Released counts the held deliveries the page released.
	Released int
	// Done: no held delivery was left.
	Done bool `json:",omitempty"`
	// Stopped: the webhook is no longer active, or is gone; what it still
	// holds stays held.
	Stopped bool `json:",omitempty"`
}

// ReleaseHeldPage is the work of a webhook's drain workflow, a page at a
// time: a regular activity that releases the webhook's held deliveries in
// the order their events happened, one at a time, so its receiver sees
// them in that order. Each released delivery is made pending again and
// gets its attempt through the usual path (deliverOnce, so flow control
// and every other rule apply); one still pending after it (the attempt
// failed, or flow control gave it a later slot) is handed to its event's
// delivery workflow, which goes on from its next_attempt_at with a retry
// window of its own: the time it was held does not count. It stops as
// soon as the webhook is no longer active.
func (a *Activities) ReleaseHeldPage(ctx context.Context, webhookID string) (res DrainProgress, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	if a.Runs == nil {
		return res, errors.New("the drain needs Activities.Runs")
	}
	defer heartbeatUntilDone(ctx)()
	endBy := time.Now().Add(drainPageTime)
	for res.Released < drainPageDeliveries && time.Now().Before(endBy) {
		w, err := models.Get[models.Webhook](ctx, a.Store, webhookID)
		if errors.Is(err, models.ErrNotFound) || (err == nil && w.Status != models.WebhookActive) {
			res.Stopped = true
			return res, nil
		}
		if err != nil {
			return res, err
		}
		batch, err := a.Store.HeldDeliveries(ctx, webhookID, min(drainBatch, drainPageDeliveries-res.Released))
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			res.Done = true
			return res, nil
		}
		for i := 0; i < len(batch) && time.Now().Before(endBy); i++ {
			stop, err := a.releaseOne(ctx, &batch[i])
			if err != nil || stop {
				res.Stopped = stop
				return res, err
			}
			res.Released++
		}
	}
	return res, nil
}

// releaseOne makes a held delivery pending again and attempts it; stop is
// true when its webhook no longer takes attempts (the delivery is held
// again). A delivery released or deleted meanwhile is passed over.
func (a *Activities) releaseOne(ctx context.Context, d *models.Delivery) (stop bool, err error) {
	prior := d.Attempts
	// Reopening unsettles the event too: should this run die before the
	// delivery has an outcome or a workflow, the reconciler delivers it.
	reopened, err := a.Store.ReopenDelivery(ctx, d, models.DeliveryHeld)
	if err != nil || !reopened {
		return false, err
	}
	d.Status = models.DeliveryPending
	out, err := a.attemptWaitingOutThrottle(ctx, d, attemptRules{prior: prior})
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(err, models.ErrConflict) {
		return false, nil // another attempt of it was recorded meanwhile: not ours
	}
	if err != nil {
		a.holdAgain(ctx, d)
		return false, err
	}
	logger(ctx).Info("Held delivery released", deliveryAttrs(d, "status", out.Status, "reason", out.Reason)...)
	switch out.Status {
	case models.DeliveryHeld:
		return true, nil
	case models.DeliveryPending:
		next := models.Now()
		if out.NextAttemptAt != nil {
			next = *out.NextAttemptAt
		}
		if err := a.Runs.ContinueDelivery(ctx, d, prior, next); err != nil {
			a.holdAgain(ctx, d)
			return false, err
		}
		return false, nil
	}
	_, err = a.Store.SettleEventIfDone(ctx, d.EventID)
	return false, err
}

// holdAgain holds a delivery this drain reopened but could not see through
// (a dependency failed under its attempt, or under handing it to its
// event's workflow; the page's time ran out while it waited for its slot).
// The page returns the error and is tried again, and it lists only held
// deliveries: left pending with nothing to drive it, the delivery would
// wait for the reconciler, minutes later. Held again, the next try of the
// page releases it first, in its place. Should this write fail too (the
// database is down), the reconciler is what remains.
func (a *Activities) holdAgain(ctx context.Context, d *models.Delivery) {
	holdCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if _, err := a.Store.HoldDelivery(holdCtx, d.ID); err != nil {
		logger(ctx).Warn("Could not hold a released delivery again; the reconciler will deliver it", deliveryAttrs(d, "error", err)...)
	}
}

// releaseHeld has the webhook's drain release what it holds, now that it
// is active again: for the moves to active that activities make
// (verification, recovery). Without Runs (tests of other things) it does
// nothing; the reconciler would.
func (a *Activities) releaseHeld(ctx context.Context, webhookID string) error {
	if a.Runs == nil {
		return nil
	}
	if err := a.Runs.ReleaseHeld(ctx, webhookID); err != nil {
		return err
	}
	// A batched webhook's events wait for its batching workflow, which is
	// started on every move to active too.
	w, err := models.Get[models.Webhook](ctx, a.Store, webhookID)
	if err != nil || !w.Batched() {
		return nil // gone meanwhile, or the reconciler starts it
	}
	return a.Runs.StartBatching(ctx, webhookID)
}

// attemptWaitingOutThrottle attempts a pending delivery that has had
// rules.prior attempts. Throttled by the webhook's flow control (pending, no
// attempt made), it waits for the slot reserved for it, up to
// drainThrottleWait, and tries again, so that the deliveries (or batches)
// after it do not overtake it; a longer wait is the delivery workflow's.
func (a *Activities) attemptWaitingOutThrottle(ctx context.Context, d *models.Delivery, rules attemptRules) (attemptOutcome, error) {
	for {
		out, err := a.retryOnce(ctx, d, rules)
		if err != nil || out.Status != models.DeliveryPending || d.Attempts != rules.prior || out.NextAttemptAt == nil {
			return out, err
		}
		wait := time.Until(*out.NextAttemptAt)
		if wait > drainThrottleWait {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(wait):
		}
	}
}
