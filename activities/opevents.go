package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/hookflow/hookflow/models"
)

// ReasonRetryWindowRanOut is the failure reason of a delivery whose retry
// window ran out: the delivery workflows pass it to FailDelivery, which
// then emits delivery.exhausted.
const ReasonRetryWindowRanOut = "retry window ran out"

// EmitOperationalEvent stores an operational event and starts its delivery
// workflow; it is delivered as any other event, except to the webhook it
// is about. An event of a type no webhook of the account subscribes to is
// not stored at all. Emitting the same event again (same key: a retried
// activity) stores nothing new and starts nothing new. If Temporal cannot
// be reached the error makes the activity retry; an event stored but never
// started is started by the API's sweeper of undispatched events anyway.
func (a *Activities) EmitOperationalEvent(ctx context.Context, ev models.OperationalEvent) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	return a.emit(ctx, ev)
}

func (a *Activities) emit(ctx context.Context, ev models.OperationalEvent) error {
	if a.Runs == nil {
		return fmt.Errorf("operational events need Activities.Runs")
	}
	subscribed, err := a.Store.AnyWebhookSubscribes(ctx, ev.AccountID, ev.Type)
	if err != nil || !subscribed {
		return err
	}
	e, err := a.Store.StoreOperationalEvent(ctx, ev)
	if err != nil {
		return err
	}
	if e.DispatchedAt != nil {
		return nil // an earlier emission started it
	}
	if err := a.Runs.StartDelivery(ctx, e); err != nil {
		return fmt.Errorf("start the delivery of operational event %s: %w", e.ID, err)
	}
	logger(ctx).Info("Operational event emitted", "account_id", e.AccountID, "event_id", e.ID, "webhook_id", ev.WebhookID, "type", string(e.Type))
	return a.Store.MarkDispatched(ctx, e.ID)
}

// emitExhausted emits delivery.exhausted for a delivery FailDelivery
// failed because its retry window ran out. It emits nothing for a delivery
// that ended otherwise (it succeeded after all, or failed for another
// reason) nor for a delivery of an operational event: two failing webhooks
// subscribed to each other's events never feed each other.
func (a *Activities) emitExhausted(ctx context.Context, deliveryID string) error {
	d, err := models.Get[models.Delivery](ctx, a.Store, deliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Status != models.DeliveryFailed || d.FailureReason != ReasonRetryWindowRanOut || d.EventType.IsOperational() {
		return nil
	}
	w, err := models.Get[models.Webhook](ctx, a.Store, d.WebhookID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		w = nil
	case err != nil:
		return err
	}
	attempts, err := a.Store.Attempts(ctx, d.ID)
	if err != nil {
		return err
	}
	var last *models.DeliveryAttempt
	if len(attempts) > 0 {
		last = &attempts[len(attempts)-1]
	}
	return a.emit(ctx, models.DeliveryExhaustedEvent(d, w, last))
}
