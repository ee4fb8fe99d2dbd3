package activities

import (
	"context"
	"errors"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
)

// DeliverFirstAttempts is a local activity, run once per event by the
// delivery workflow. It renders the event's payload (once), creates a
// delivery for every matching webhook and makes the first attempt of each
// concurrently. A retry of it reuses the deliveries it created and sends
// nothing again to a delivery that already had its first attempt.
func (a *Activities) DeliverFirstAttempts(ctx context.Context, eventID string) (FirstAttemptsResult, error) {
	e, err := a.enrichedEvent(ctx, eventID)
	if errors.Is(err, models.ErrNotFound) {
		return FirstAttemptsResult{}, temporal.NewNonRetryableApplicationError("event "+eventID+" not found", ErrorTypeEventNotFound, err)
	}
	if err != nil {
		return FirstAttemptsResult{}, err
	}
	webhooks, err := a.Store.WebhooksMatching(ctx, e)
	if err != nil {
		return FirstAttemptsResult{}, err
	}
	webhookIDs := make([]string, len(webhooks))
	for i, w := range webhooks {
		webhookIDs[i] = w.ID
	}
	deliveries, err := a.Store.EnsureDeliveries(ctx, e, webhookIDs)
	if err != nil {
		return FirstAttemptsResult{}, err
	}
	outcomes, err := a.firstAttempts(ctx, deliveries, e)
	if err != nil {
		// Attempts that were recorded stay recorded; the retry skips them.
		return FirstAttemptsResult{}, err
	}
	return summarize(deliveries, outcomes), nil
}

// firstAttempts makes the first attempt of every delivery that has had
// none, at most maxConcurrentFirstAttempts at once, so a slow receiver
// holds up only its own slot. outcomes[i] belongs to deliveries[i];
// deliveries attempted before keep their state.
func (a *Activities) firstAttempts(ctx context.Context, deliveries []models.Delivery, e *models.Event) ([]attemptOutcome, error) {
	outcomes := make([]attemptOutcome, len(deliveries))
	errs := make([]error, len(deliveries))
	slots := make(chan struct{}, maxConcurrentFirstAttempts)
	var wg sync.WaitGroup
	for i := range deliveries {
		d := &deliveries[i]
		if d.Status != models.DeliveryPending || d.Attempts > 0 {
			// Attempted by an earlier run of this activity: send nothing again.
			outcomes[i] = attemptOutcome{Status: d.Status}
			if d.Status == models.DeliveryPending {
				outcomes[i].RetryAfter = backoff(d.Attempts)
			}
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			outcomes[i], errs[i] = a.deliverOnce(ctx, d, e)
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
		default:
			res.Pending = append(res.Pending, PendingDelivery{DeliveryID: d.ID, WebhookID: d.WebhookID, RetryAfter: o.RetryAfter})
		}
	}
	return res
}

// RetryDelivery is a regular activity with a Temporal retry policy. Each
// call makes exactly one attempt (number Attempts+1) and records it. It
// returns nil once the delivery succeeded; a non-retryable error after
// failing it for good (non-retryable answer, webhook deleted or no longer
// active); else a retryable error whose NextRetryDelay is the receiver's
// Retry-After or the backoff. A delivery to a paused webhook waits without
// an attempt.
func (a *Activities) RetryDelivery(ctx context.Context, deliveryID string) error {
	d, err := models.Get[models.Delivery](ctx, a.Store, deliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError("delivery "+deliveryID+" not found", ErrorTypeDeliveryNotFound, err)
	}
	if err != nil {
		return err
	}
	switch d.Status {
	case models.DeliverySucceeded:
		return nil // an earlier run succeeded but its result was lost
	case models.DeliveryFailed:
		return temporal.NewNonRetryableApplicationError("delivery "+d.ID+" has already failed", ErrorTypeDeliveryFailed, nil)
	}
	e, err := a.enrichedEvent(ctx, d.EventID)
	if errors.Is(err, models.ErrNotFound) {
		out, err := a.giveUp(ctx, d, ErrorTypeEventNotFound, "event "+d.EventID+" was deleted")
		if err != nil {
			return err
		}
		return out.err()
	}
	if err != nil {
		return err
	}
	out, err := a.deliverOnce(ctx, d, e)
	if err != nil {
		return err
	}
	return out.err()
}

// FailDelivery is a local activity for when the retry window ran out: it
// marks the delivery failed unless it already finished (a succeeded
// delivery is never overwritten). Calling it again changes nothing.
func (a *Activities) FailDelivery(ctx context.Context, deliveryID, reason string) error {
	failed, err := a.Store.FailPendingDelivery(ctx, deliveryID, reason)
	if err != nil {
		return err
	}
	if failed {
		logger(ctx).Info("Delivery failed", "DeliveryID", deliveryID, "Reason", reason)
	}
	return nil
}
