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
// when failed for good, else retryable after RetryAfter. Receivers that
// answer 5xx are business as usual, hence the benign category.
func (o attemptOutcome) err() error {
	switch o.Status {
	case models.DeliverySucceeded:
		return nil
	case models.DeliveryFailed:
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
	record func(ctx context.Context, att *models.DeliveryAttempt, status models.DeliveryStatus, nextAttemptAt *time.Time) error
}

// deliverOnce makes the next attempt of a pending delivery if its webhook
// still takes events. A deleted, disabled or no-longer-verified webhook
// fails the delivery without a request: its URL is not one the owner
// proven to control anymore. A paused one keeps it waiting, unsent.
func (a *Activities) deliverOnce(ctx context.Context, d *models.Delivery, e *models.Event, rules attemptRules) (attemptOutcome, error) {
	w, err := models.Get[models.Webhook](ctx, a.Store, d.WebhookID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return a.giveUp(ctx, d, ErrorTypeWebhookNotFound, "webhook "+d.WebhookID+" was deleted")
	case err != nil:
		return attemptOutcome{}, err
	case w.Status == models.WebhookPaused:
		next := models.Now().Add(pausedRecheckDelay)
		return attemptOutcome{Status: models.DeliveryPending, RetryAfter: pausedRecheckDelay, NextAttemptAt: &next, Reason: "webhook " + w.ID + " is paused"}, nil
	case w.Status != models.WebhookActive:
		return a.giveUp(ctx, d, ErrorTypeDeliveryFailed, "webhook "+w.ID+" is "+string(w.Status))
	}
	return a.attempt(ctx, d, w, e, rules)
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
// attempt made, due again when its reserved slot comes.
func (a *Activities) attempt(ctx context.Context, d *models.Delivery, w *models.Webhook, e *models.Event, rules attemptRules) (attemptOutcome, error) {
	adm, throttled, err := a.admitted(ctx, d, w, rules)
	if err != nil {
		return attemptOutcome{}, err
	}
	if throttled != nil {
		return *throttled, nil
	}
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
	adm.release()
	a.slowDown(ctx, d, w, r, started, started.Add(r.Latency))
	if status == models.DeliveryPending && rules.last {
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
	if err := record(recordCtx, &att, status, nextAttemptAt); err != nil {
		return attemptOutcome{}, fmt.Errorf("record attempt %d of delivery %s: %w", number, d.ID, err)
	}
	d.Attempts, d.Status = number, status
	a.Metrics.finished(status)
	if status == models.DeliverySucceeded {
		a.Metrics.delivered(e, started.Add(r.Latency))
	}

	out := attemptOutcome{Status: status, Reason: fmt.Sprintf("attempt %d: %s", number, r.summary())}
	switch status {
	case models.DeliveryPending:
		out.RetryAfter, out.NextAttemptAt = retryAfter, nextAttemptAt
		logger(ctx).Info("Delivery attempt failed; it is tried again later", deliveryAttrs(d, "attempt", number, "result", r.summary(), "retry_after", retryAfter)...)
	case models.DeliveryFailed:
		out.ErrorType = ErrorTypeDeliveryFailed
		logger(ctx).Info("Delivery failed", deliveryAttrs(d, "reason", out.Reason)...)
	}
	return out, nil
}
