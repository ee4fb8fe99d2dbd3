package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
)

// attemptOutcome is what one attempt, or the state of the delivery's
// webhook, decided for a delivery.
type attemptOutcome struct {
	Status models.DeliveryStatus
	// RetryAfter is the wait before the next attempt while still pending,
	// and NextAttemptAt when that is (nil when no attempt was made now).
	RetryAfter    time.Duration
	NextAttemptAt *time.Time
	// Reason says why the delivery has not succeeded, e.g. "attempt 2: HTTP 503".
	Reason string
	// ErrorType is the application error type when failed for good.
	ErrorType string
}

// err is the outcome as an activity error: nil on success, non-retryable
// when failed for good or held, else retryable after RetryAfter. Receivers that
// answer 5xx are business as usual, hence the benign category.
func (o attemptOutcome) err() error {
	switch o.Status {
	case models.DeliverySucceeded:
		return nil
	case models.DeliveryFailed, models.DeliveryHeld:
		return temporal.NewNonRetryableApplicationError(o.Reason, o.ErrorType, nil)
	}
	return temporal.NewApplicationErrorWithOptions(o.Reason, ErrorTypeAttemptFailed, temporal.ApplicationErrorOptions{
		NextRetryDelay: o.RetryAfter,
		Category:       temporal.ApplicationErrorCategoryBenign,
	})
}

// attemptRules say how an attempt is counted and recorded. The zero rules
// are a delivery's usual ones.
type attemptRules struct {
	// prior attempts came before this series of retries (a resend starts
	// a new one): the backoff counts from the first attempt after them.
	prior int
	// last says no attempt follows this one (a recovery makes one): an
	// answer worth retrying fails the delivery.
	last bool
	// record stores the attempt with the delivery's new status in one
	// transaction; nil is Store.RecordAttempt.
	record func(ctx context.Context, r models.AttemptRecord) error
	// flow is the webhook's flow state when it was read with the webhook
	// (the first attempts of an event read all of theirs at once); nil:
	// the attempt reads it.
	flow *models.WebhookFlow
}

// deliverOnce makes the next attempt of a pending delivery if its webhook
// is active. A paused or disabled one holds the delivery, unsent, until it
// is active again (ReleaseHeld). A deleted or no-longer-verified webhook
// fails it without a request: its URL is not one the owner proved to
// control anymore.
func (a *Activities) deliverOnce(ctx context.Context, d *models.Delivery, e *models.Event, rules attemptRules) (attemptOutcome, error) {
	w, err := models.Get[models.Webhook](ctx, a.Store, d.WebhookID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return a.giveUp(ctx, d, ErrorTypeWebhookNotFound, "webhook "+d.WebhookID+" was deleted")
	case err != nil:
		return attemptOutcome{}, err
	}
	return a.deliverOnceTo(ctx, d, w, e, rules)
}

// deliverOnceTo is deliverOnce with d's webhook as just read.
func (a *Activities) deliverOnceTo(ctx context.Context, d *models.Delivery, w *models.Webhook, e *models.Event, rules attemptRules) (attemptOutcome, error) {
	switch {
	case w.Holds():
		return a.hold(ctx, d, w)
	case w.Status != models.WebhookActive:
		return a.giveUp(ctx, d, ErrorTypeDeliveryFailed, "webhook "+w.ID+" is "+string(w.Status))
	}
	return a.attempt(ctx, d, w, e, rules)
}

// hold holds a pending delivery whose webhook is paused or disabled.
func (a *Activities) hold(ctx context.Context, d *models.Delivery, w *models.Webhook) (attemptOutcome, error) {
	held, err := a.Store.HoldDelivery(ctx, d.ID)
	if err != nil {
		return attemptOutcome{}, err
	}
	reason := "webhook " + w.ID + " is " + string(w.Status)
	if !held {
		// Someone else moved it meanwhile (a resend, a drain): theirs stands.
		current, err := models.Get[models.Delivery](ctx, a.Store, d.ID)
		if err != nil {
			return attemptOutcome{}, err
		}
		d.Status = current.Status
		return attemptOutcome{Status: current.Status, Reason: current.FailureReason, NextAttemptAt: current.NextAttemptAt}, nil
	}
	logger(ctx).Info("Delivery held until its webhook is active again", deliveryAttrs(d, "webhook_status", w.Status)...)
	d.Status = models.DeliveryHeld
	// The webhook was read before the delivery was held: had it become
	// active in between, its drain may have looked already and missed this
	// delivery. Looked at after the hold, an active webhook asks its drain
	// to look again (failing that, the reconciler releases it later).
	if now, err := models.Get[models.Webhook](ctx, a.Store, w.ID); err == nil && now.Status == models.WebhookActive {
		if err := a.releaseHeld(ctx, w.ID); err != nil {
			logger(ctx).Warn("Could not ask the drain to look again; the reconciler will release the delivery", deliveryAttrs(d, "error", err)...)
		}
	}
	return attemptOutcome{Status: models.DeliveryHeld, Reason: reason, ErrorType: ErrorTypeDeliveryHeld}, nil
}

// giveUp fails a delivery that no attempt can help.
func (a *Activities) giveUp(ctx context.Context, d *models.Delivery, errorType, reason string) (attemptOutcome, error) {
	failed, err := a.Store.FailPendingDelivery(ctx, d.ID, reason)
	if err != nil {
		return attemptOutcome{}, err
	}
	if failed {
		a.Metrics.finished(models.DeliveryFailed)
	}
	logger(ctx).Info("Delivery failed", deliveryAttrs(d, "reason", reason)...)
	d.Status = models.DeliveryFailed
	return attemptOutcome{Status: models.DeliveryFailed, Reason: reason, ErrorType: errorType}, nil
}

// attempt sends attempt number d.Attempts+1 and records it with the
// delivery's new status in one transaction, once the webhook's flow
// control admits it (admitted); a throttled delivery stays pending with no
// attempt made, due again when its reserved slot comes. A receiver that
// answers 410 Gone or Hookflow-Delivery: disable has its webhook disabled
// at once and the delivery held; one that has failed, with no success, for
// longer than DisableAfter has its webhook disabled and the pending
// delivery held.
func (a *Activities) attempt(ctx context.Context, d *models.Delivery, w *models.Webhook, e *models.Event, rules attemptRules) (attemptOutcome, error) {
	adm, throttled, err := a.admitted(ctx, d, w, rules)
	if err != nil {
		return attemptOutcome{}, err
	}
	if throttled != nil {
		return *throttled, nil
	}
	// The record gives the in-flight slot back; without one, it goes back now.
	recorded := false
	defer func() {
		if !recorded {
			a.release(ctx, adm, d)
		}
	}()
	number := d.Attempts + 1
	started := models.Now()
	var r response
	status := models.DeliveryFailed // a request that cannot be built now never will be
	if req, err := a.deliveryRequest(ctx, d, w, e, number, started); err != nil {
		r.Err = err
	} else {
		r = a.send(req)
		a.Metrics.sent(r)
		status = classify(r)
	}
	a.slowDown(ctx, d, w, r, started, started.Add(r.Latency))
	if r.AsksToDisable {
		status = models.DeliveryHeld
	} else if status == models.DeliveryPending && rules.last {
		status = models.DeliveryFailed
	}
	att := models.DeliveryAttempt{
		ID:              models.NewID(models.PrefixAttempt),
		DeliveryID:      d.ID,
		Number:          number,
		StatusCode:      r.StatusCode,
		LatencyMillis:   r.Latency.Milliseconds(),
		ResponseExcerpt: r.Excerpt,
		StartedAt:       started,
	}
	if r.Err != nil {
		att.Error = describeError(r.Err)
	}
	var retryAfter time.Duration
	var nextAttemptAt *time.Time
	if status == models.DeliveryPending {
		retryAfter = a.settings().retryDelay(r.RetryAfter, number-rules.prior, time.Now())
		next := started.Add(r.Latency + retryAfter).Truncate(time.Millisecond) // as stored
		nextAttemptAt = &next
	}
	record := rules.record
	if record == nil {
		record = a.Store.RecordAttempt
	}
	// The request went out: record it even if the activity's time ran out.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if status == models.DeliveryHeld {
		// Disabled first: a retry of this activity then holds the
		// delivery without sending it again.
		if err := a.disableByHookflow(recordCtx, w, r.disableReason(started)); err != nil {
			return attemptOutcome{}, err
		}
	}
	if err := record(recordCtx, models.AttemptRecord{Attempt: &att, Status: status, NextAttemptAt: nextAttemptAt,
		Webhook: w, InFlightHolder: adm.holder}); err != nil {
		return attemptOutcome{}, fmt.Errorf("record attempt %d of delivery %s: %w", number, d.ID, err)
	}
	recorded = true
	d.Attempts, d.Status = number, status
	a.Metrics.finished(status)
	if status == models.DeliverySucceeded {
		a.Metrics.delivered(e, started.Add(r.Latency))
	}

	out := attemptOutcome{Status: status, Reason: fmt.Sprintf("attempt %d: %s", number, r.summary())}
	if status == models.DeliveryPending || status == models.DeliveryFailed {
		disabled, err := a.disableIfFailingTooLong(recordCtx, w, started)
		if err != nil {
			return attemptOutcome{}, err
		}
		if disabled && status == models.DeliveryPending {
			if _, err := a.Store.HoldDelivery(recordCtx, d.ID); err != nil {
				return attemptOutcome{}, err
			}
			d.Status, out.Status = models.DeliveryHeld, models.DeliveryHeld
		}
	}
	switch out.Status {
	case models.DeliveryPending:
		out.RetryAfter, out.NextAttemptAt = retryAfter, nextAttemptAt
		logger(ctx).Info("Delivery attempt failed; it is tried again later", deliveryAttrs(d, "attempt", number, "result", r.summary(), "retry_after", retryAfter)...)
	case models.DeliveryFailed:
		out.ErrorType = ErrorTypeDeliveryFailed
		logger(ctx).Info("Delivery failed", deliveryAttrs(d, "reason", out.Reason)...)
	case models.DeliveryHeld:
		out.ErrorType = ErrorTypeDeliveryHeld
		logger(ctx).Info("Delivery held: its webhook was disabled", deliveryAttrs(d, "attempt", number, "result", r.summary())...)
	}
	return out, nil
}
