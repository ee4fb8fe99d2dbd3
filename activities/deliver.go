package activities

import (
	"context"
	"errors"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
)

// DeliverFirstAttempts is run once per event by the delivery workflow, as
// a local activity (or, while the database is down, as a regular one). It
// renders the event's payload (once), creates a delivery for every matching
// webhook and makes the first attempt of each concurrently; a delivery to a
// paused or disabled webhook is created held, and no attempt is made. A retry of it
// reuses the deliveries it created and sends nothing again to a delivery
// that already had its first attempt. When no delivery is left pending it
// settles the event. An event that is gone or cannot be read is skipped:
// the result says why, and nothing is sent.
func (a *Activities) DeliverFirstAttempts(ctx context.Context, eventID string) (res FirstAttemptsResult, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	s := a.settings()
	e, err := a.enrichedEvent(ctx, eventID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return FirstAttemptsResult{Skipped: "event " + eventID + " was deleted"}, nil
	case errors.Is(err, models.ErrUnreadable):
		return a.skipUnreadable(ctx, eventID, err)
	case err != nil:
		return FirstAttemptsResult{}, err
	}
	webhooks, err := a.Store.WebhooksMatching(ctx, e)
	if err != nil {
		return FirstAttemptsResult{}, err
	}
	if webhooks, err = a.unbatched(ctx, e.ID, webhooks); err != nil {
		return FirstAttemptsResult{}, err
	}
	deliveries, err := a.Store.EnsureDeliveries(ctx, e, webhooks)
	if err != nil {
		return FirstAttemptsResult{}, err
	}
	outcomes, err := a.firstAttempts(ctx, deliveries, e, webhooks)
	if err != nil {
		// Attempts that were recorded stay recorded; the retry skips them.
		return FirstAttemptsResult{}, err
	}
	res = summarize(deliveries, outcomes)
	res.RetrySettings = s.retrySettings()
	if len(res.Pending) == 0 {
		if _, err := a.Store.SettleEventIfDone(ctx, e.ID); err != nil {
			return FirstAttemptsResult{}, err
		}
	}
	return res, nil
}

// skipUnreadable settles an event that cannot be read or rendered, so
// neither a retry nor the reconciler tries it again, and reports it.
func (a *Activities) skipUnreadable(ctx context.Context, eventID string, cause error) (FirstAttemptsResult, error) {
	if err := a.Store.SettleEvent(ctx, eventID); err != nil {
		return FirstAttemptsResult{}, err
	}
	reason := models.FitText("event "+eventID+" cannot be read: "+cause.Error(), 1024)
	logger(ctx).Error("Event skipped: it cannot be read", "event_id", eventID, "error", cause)
	return FirstAttemptsResult{Skipped: reason}, nil
}

// firstAttempts makes the first attempt of every delivery that has had
// none, at most maxConcurrentFirstAttempts at once, so a slow receiver
// holds up only its own slot. outcomes[i] belongs to deliveries[i];
// deliveries attempted before keep their state. webhooks were read just
// before, by matching: they, and their flow state read in one query,
// serve the attempts, so that a fan-out costs few reads more than one
// delivery does.
func (a *Activities) firstAttempts(ctx context.Context, deliveries []models.Delivery, e *models.Event, webhooks []models.Webhook) ([]attemptOutcome, error) {
	outcomes := make([]attemptOutcome, len(deliveries))
	var due []int
	for i, d := range deliveries {
		if d.Status != models.DeliveryPending || d.Attempts > 0 {
			// Held, or attempted by an earlier run of this activity: send nothing now.
			outcomes[i] = attemptOutcome{Status: d.Status}
			if d.Status == models.DeliveryPending {
				outcomes[i].RetryAfter = a.settings().retryBackoff(d.Attempts)
			}
			continue
		}
		due = append(due, i)
	}
	if len(due) == 0 {
		return outcomes, nil
	}
	read := make(map[string]*models.Webhook, len(webhooks))
	for i := range webhooks {
		read[webhooks[i].ID] = &webhooks[i]
	}
	ids := make([]string, 0, len(due))
	for _, i := range due {
		ids = append(ids, deliveries[i].WebhookID)
	}
	flows, err := a.Store.WebhookFlowsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(deliveries))
	slots := make(chan struct{}, maxConcurrentFirstAttempts)
	var wg sync.WaitGroup
	for _, i := range due {
		d := &deliveries[i]
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if w, ok := read[d.WebhookID]; ok {
				outcomes[i], errs[i] = a.deliverOnceTo(ctx, d, w, e, attemptRules{flow: flows[d.WebhookID]})
			} else {
				// Created by an earlier run for a webhook that no longer matches.
				outcomes[i], errs[i] = a.deliverOnce(ctx, d, e, attemptRules{})
			}
		})
	}
	wg.Wait()
	return outcomes, errors.Join(errs...)
}

func summarize(deliveries []models.Delivery, outcomes []attemptOutcome) FirstAttemptsResult {
	res := FirstAttemptsResult{WebhookIDs: make([]string, 0, len(deliveries))}
	for i, d := range deliveries {
		res.WebhookIDs = append(res.WebhookIDs, d.WebhookID)
		switch o := outcomes[i]; o.Status {
		case models.DeliverySucceeded:
			res.Succeeded++
		case models.DeliveryFailed:
			res.Failed++
		case models.DeliveryHeld:
			res.Held++
		default:
			res.Pending = append(res.Pending, PendingDelivery{DeliveryID: d.ID, WebhookID: d.WebhookID,
				RetryAfter: o.RetryAfter, NextAttemptAt: o.NextAttemptAt, Attempts: d.Attempts})
		}
	}
	return res
}

// RetryDelivery is the retry step of delivery workflows started before
// they waited between attempts themselves (see AttemptDelivery); it stays
// registered so that those runs finish. It is a regular activity with a
// Temporal retry policy. Each call makes exactly one attempt (number
// Attempts+1) and records it. It returns nil once the delivery succeeded;
// a non-retryable error after failing it for good (non-retryable answer,
// webhook deleted or no longer active, event deleted or unreadable); else
// a retryable error whose NextRetryDelay is the receiver's Retry-After or
// the backoff. A delivery to a paused or disabled webhook is held (a
// non-retryable error; the old workflow ends its series, not failing it).
// Once the delivery has its outcome, the event is settled if it was its
// last pending one.
func (a *Activities) RetryDelivery(ctx context.Context, deliveryID string) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	d, err := models.Get[models.Delivery](ctx, a.Store, deliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError("delivery "+deliveryID+" not found", ErrorTypeDeliveryNotFound, err)
	}
	if err != nil {
		return err
	}
	if d.Status != models.DeliveryPending {
		// An earlier run finished it but its result was lost.
		if _, err := a.Store.SettleEventIfDone(ctx, d.EventID); err != nil {
			return err
		}
		switch d.Status {
		case models.DeliverySucceeded:
			return nil
		case models.DeliveryHeld:
			return temporal.NewNonRetryableApplicationError("delivery "+d.ID+" is held", ErrorTypeDeliveryHeld, nil)
		}
		return temporal.NewNonRetryableApplicationError("delivery "+d.ID+" has already failed", ErrorTypeDeliveryFailed, nil)
	}
	out, err := a.retryOnce(ctx, d, attemptRules{})
	if err != nil {
		return err
	}
	if out.Status != models.DeliveryPending {
		if _, err := a.Store.SettleEventIfDone(ctx, d.EventID); err != nil {
			return err
		}
	}
	return out.err()
}

// AttemptDelivery makes the next attempt of a pending delivery and
// records it, and says where that left the delivery: succeeded, failed for
// good (a non-retryable answer; webhook deleted or no longer active; event
// deleted or unreadable), or pending until the NextAttemptAt it recorded
// (the receiver's Retry-After or the backoff), or held, unsent, because its
// webhook is paused or disabled. A delivery that is no longer pending
// (an earlier run finished it, but its result was lost) is answered as it
// stands, and a deleted one as failed. Once the delivery has its outcome
// the event is settled if it was its last pending one. Only a dependency
// that fails is an error: the delivery workflow, not Temporal's retries,
// waits between attempts, so it always knows when the next is due.
func (a *Activities) AttemptDelivery(ctx context.Context, req AttemptRequest) (res AttemptResult, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	d, err := models.Get[models.Delivery](ctx, a.Store, req.DeliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return AttemptResult{Status: models.DeliveryFailed, Reason: "delivery " + req.DeliveryID + " was deleted"}, nil
	}
	if err != nil {
		return AttemptResult{}, err
	}
	out := attemptOutcome{Status: d.Status, Reason: d.FailureReason}
	if d.Status == models.DeliveryPending {
		if out, err = a.retryOnce(ctx, d, attemptRules{prior: req.PriorAttempts}); err != nil {
			return AttemptResult{}, err
		}
	}
	if out.Status != models.DeliveryPending {
		if _, err := a.Store.SettleEventIfDone(ctx, d.EventID); err != nil {
			return AttemptResult{}, err
		}
	}
	return AttemptResult{Status: out.Status, Attempts: d.Attempts, NextAttemptAt: out.NextAttemptAt, Reason: out.Reason}, nil
}

// retryOnce makes the next attempt of a pending delivery, or fails it if
// its event is gone or cannot be read.
func (a *Activities) retryOnce(ctx context.Context, d *models.Delivery, rules attemptRules) (attemptOutcome, error) {
	e, err := a.deliveryEvent(ctx, d)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return a.giveUp(ctx, d, ErrorTypeEventNotFound, "event "+d.EventID+" was deleted")
	case errors.Is(err, models.ErrUnreadable):
		logger(ctx).Error("Delivery failed: its event cannot be read", deliveryAttrs(d, "error", err)...)
		return a.giveUp(ctx, d, ErrorTypeEventUnreadable, "event "+d.EventID+" cannot be read: "+err.Error())
	case err != nil:
		return attemptOutcome{}, err
	}
	return a.deliverOnce(ctx, d, e, rules)
}

// FailDelivery is run when the retry window ran out: it marks the delivery
// failed unless it already finished (a succeeded delivery is never
// overwritten), and settles the event if it was its last pending delivery.
// With ReasonRetryWindowRanOut it then emits delivery.exhausted about it.
// Calling it again changes nothing.
func (a *Activities) FailDelivery(ctx context.Context, deliveryID, reason string) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	d, err := models.Get[models.Delivery](ctx, a.Store, deliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	failed, err := a.Store.FailPendingDelivery(ctx, deliveryID, reason)
	if err != nil {
		return err
	}
	if failed {
		a.Metrics.finished(models.DeliveryFailed)
		logger(ctx).Info("Delivery failed", deliveryAttrs(d, "reason", reason)...)
	}
	if _, err := a.Store.SettleEventIfDone(ctx, d.EventID); err != nil {
		return err
	}
	if reason != ReasonRetryWindowRanOut {
		return nil
	}
	// Also when an earlier run failed it: that run may have stopped
	// before it emitted (emitting again stores nothing new).
	return a.emitExhausted(ctx, deliveryID)
}
