package activities

import (
	"context"
	"errors"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Batched delivery: a batched webhook's events wait as batch items (its
// outbox, written with the events) until its batching workflow collects
// them into one delivery (CollectBatch) and attempts it (DeliverBatch).
const (
	// collectIdlePoll is how often the collector looks for new events while
	// none waits, or its webhook does not take attempts; collectBusyPoll
	// while some wait for more.
	collectIdlePoll = 200 * time.Millisecond
	collectBusyPoll = 20 * time.Millisecond
)

// collectPollTime bounds one run of CollectBatch: an idle webhook's
// workflow adds a few history events this often, no more. (A variable so
// that tests need not wait that long.)
var collectPollTime = 30 * time.Second

// unbatchedDrain are the settings a webhook's events still waiting when its
// batch settings were removed go with: at once, in batches of this size.
var unbatchedDrain = models.WebhookBatch{MaxEvents: 100}

// BatchCollected is what one run of CollectBatch found.
type BatchCollected struct {
	// DeliveryID is the batch delivery collected, to attempt; "" when
	// nothing was ready within the run's time.
	DeliveryID string `json:",omitempty"`
	Events     int    `json:",omitempty"`
	// Done: the webhook is gone, or no longer batched with nothing
	// waiting; its batching workflow ends.
	Done bool `json:",omitempty"`
}

// CollectBatch waits, heartbeating, until its webhook has a batch ready
// (max_events events wait, or the oldest has waited max_wait_ms), and
// turns it into one pending delivery in one transaction. It collects only
// while the webhook is active and holds no delivery: a paused or disabled
// webhook's events wait as they are, and once it is active again its drain
// releases the batches it held before newer ones are collected, so the
// receiver sees them in order. A batch collected by an earlier run whose
// result was lost comes first. It gives up after collectPollTime with
// nothing, so an idle webhook costs its workflow little.
func (a *Activities) CollectBatch(ctx context.Context, webhookID string) (res BatchCollected, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	defer heartbeatUntilDone(ctx)()
	return a.collectBatch(ctx, webhookID, time.Now().Add(collectPollTime))
}

// collectBatch is CollectBatch, giving up at endBy.
func (a *Activities) collectBatch(ctx context.Context, webhookID string, endBy time.Time) (res BatchCollected, err error) {
	switch d, err := a.Store.UnattemptedBatch(ctx, webhookID); {
	case err == nil:
		return BatchCollected{DeliveryID: d.ID, Events: d.EventCount}, nil
	case !errors.Is(err, models.ErrNotFound):
		return res, err
	}
	for {
		w, err := models.Get[models.Webhook](ctx, a.Store, webhookID)
		if errors.Is(err, models.ErrNotFound) {
			return BatchCollected{Done: true}, a.Store.DropWaitingBatchItems(ctx, webhookID)
		}
		if err != nil {
			return res, err
		}
		wait, res, err := a.collectOnce(ctx, w)
		if err != nil || res.DeliveryID != "" || res.Done {
			return res, err
		}
		if !time.Now().Add(wait).Before(endBy) {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// collectOnce collects w's next batch if it is ready; otherwise it says
// how long to wait before looking again.
func (a *Activities) collectOnce(ctx context.Context, w *models.Webhook) (time.Duration, BatchCollected, error) {
	if w.Status != models.WebhookActive {
		return collectIdlePoll, BatchCollected{}, nil
	}
	if held, err := a.Store.CountHeldDeliveries(ctx, w.ID); err != nil || held > 0 {
		return collectIdlePoll, BatchCollected{}, err
	}
	settings := unbatchedDrain
	if w.Batch != nil {
		settings = *w.Batch
	}
	items, err := a.Store.WaitingBatchItems(ctx, w.ID, settings.MaxEvents)
	if err != nil {
		return 0, BatchCollected{}, err
	}
	if len(items) == 0 {
		return collectIdlePoll, BatchCollected{Done: w.Batch == nil}, nil
	}
	dueAt := items[0].CreatedAt.Add(settings.MaxWait())
	if len(items) < settings.MaxEvents && time.Now().Before(dueAt) {
		return min(time.Until(dueAt), collectBusyPoll), BatchCollected{}, nil
	}
	d, err := a.Store.CreateBatchDelivery(ctx, w, items)
	if errors.Is(err, models.ErrConflict) {
		return 0, BatchCollected{}, nil // another collector took some: look again
	}
	if err != nil {
		return 0, BatchCollected{}, err
	}
	return 0, BatchCollected{DeliveryID: d.ID, Events: d.EventCount}, nil
}

// BatchesDelivered is what one run of DeliverBatches did.
type BatchesDelivered struct {
	Batches int `json:",omitempty"`
	Events  int `json:",omitempty"`
	// Retrying counts the batches handed to delivery workflows of their
	// own for retries.
	Retrying int `json:",omitempty"`
	// Done: the webhook is gone, or no longer batched with nothing
	// waiting; its batching workflow ends.
	Done bool `json:",omitempty"`
}

// DeliverBatches is the work of a batching workflow: a regular activity
// that, for up to collectPollTime, collects its webhook's next batch as
// soon as one is ready (CollectBatch) and makes its first attempt
// (DeliverBatch), batch after batch, heartbeating. Temporal's cost is so
// paid per run, not per batch; a run that dies is run again, and finds a
// batch it collected but never attempted first. Only a dependency that
// fails is an error; what was delivered before it stays delivered.
func (a *Activities) DeliverBatches(ctx context.Context, webhookID string) (res BatchesDelivered, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	defer heartbeatUntilDone(ctx)()
	endBy := time.Now().Add(collectPollTime)
	for time.Now().Before(endBy) {
		got, err := a.collectBatch(ctx, webhookID, endBy)
		if err != nil || got.Done {
			res.Done = got.Done
			return res, err
		}
		if got.DeliveryID == "" {
			return res, nil // nothing was ready
		}
		delivered, err := a.deliverBatch(ctx, got.DeliveryID)
		if err != nil {
			return res, err
		}
		res.Batches++
		res.Events += got.Events
		if delivered.Retrying {
			res.Retrying++
		}
	}
	return res, nil
}

// BatchDelivered says where DeliverBatch left a batch.
type BatchDelivered struct {
	Status models.DeliveryStatus
	// Retrying: the batch is pending, handed to a delivery workflow of its
	// own (the one named after its batch id) for its retries.
	Retrying bool `json:",omitempty"`
}

// DeliverBatch makes the first attempt of a batch delivery through the
// usual path (flow control, hold, 410 and disable, the attempt log), as a
// local activity of the batching workflow. A batch still pending after it
// (the receiver failed, or flow control gave it a later slot) is handed to
// a delivery workflow of its own, which retries it with the usual backoff
// within the retry window: the batching workflow goes on with the next
// batch and is never held up by a failing one. Run again, it attempts
// nothing twice: a batch attempted already is only handed on.
func (a *Activities) DeliverBatch(ctx context.Context, deliveryID string) (res BatchDelivered, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	return a.deliverBatch(ctx, deliveryID)
}

// deliverBatch is DeliverBatch.
func (a *Activities) deliverBatch(ctx context.Context, deliveryID string) (res BatchDelivered, err error) {
	if a.Runs == nil {
		return res, errors.New("batched delivery needs Activities.Runs")
	}
	d, err := models.Get[models.Delivery](ctx, a.Store, deliveryID)
	if errors.Is(err, models.ErrNotFound) {
		return BatchDelivered{Status: models.DeliveryFailed}, nil
	}
	if err != nil {
		return res, err
	}
	out := attemptOutcome{Status: d.Status, NextAttemptAt: d.NextAttemptAt}
	if d.Status == models.DeliveryPending && d.Attempts == 0 && d.ReservedSlotAt == nil {
		// Waiting out a short throttle, as the drain does, keeps the
		// batches after it from overtaking it.
		if out, err = a.attemptWaitingOutThrottle(ctx, d, attemptRules{}); err != nil {
			return res, err
		}
	}
	if out.Status != models.DeliveryPending {
		return BatchDelivered{Status: out.Status}, nil
	}
	next := models.Now()
	if out.NextAttemptAt != nil {
		next = *out.NextAttemptAt
	}
	if err := a.Runs.ContinueDelivery(ctx, d, 0, next); err != nil {
		return res, err
	}
	return BatchDelivered{Status: models.DeliveryPending, Retrying: true}, nil
}

// deliveryEvent is what a delivery sends: its event, or for a batch the
// batch as one event of type "batch".
func (a *Activities) deliveryEvent(ctx context.Context, d *models.Delivery) (*models.Event, error) {
	if d.IsBatch() {
		return a.batchEvent(ctx, d)
	}
	return a.enrichedEvent(ctx, d.EventID)
}

// batchEvent renders a batch delivery as the event it sends: the payload
// {"type": "batch", "events": [...]} with each event's usual payload, in
// the order the events were stored. Payloads are rendered once and stored
// (enrichedEvent), so every attempt sends the same body. An event deleted
// since, or unreadable, is left out (and logged); a batch with none left
// is models.ErrNotFound.
func (a *Activities) batchEvent(ctx context.Context, d *models.Delivery) (*models.Event, error) {
	ids, err := a.Store.BatchEventIDs(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	events, err := a.Store.EventsByID(ctx, ids)
	if errors.Is(err, models.ErrUnreadable) {
		events, err = a.readableEvents(ctx, ids)
	}
	if err != nil {
		return nil, err
	}
	if err := a.renderBatchPayloads(ctx, d, events); err != nil {
		return nil, err
	}
	byID := make(map[string]*models.Event, len(events))
	for i := range events {
		byID[events[i].ID] = &events[i]
	}
	payloads := make([]any, 0, len(ids))
	var oldest time.Time
	for _, id := range ids {
		e := byID[id]
		if e == nil || len(e.Payload) == 0 {
			logger(ctx).Warn("Event of a batch left out: it was deleted or cannot be read", deliveryAttrs(d, "batch_event_id", id)...)
			continue
		}
		if oldest.IsZero() || e.ReceivedAt.Before(oldest) {
			oldest = e.ReceivedAt
		}
		payloads = append(payloads, e.Payload)
	}
	if len(payloads) == 0 {
		return nil, models.ErrNotFound
	}
	return &models.Event{ID: d.EventID, AccountID: d.AccountID, Type: models.EventBatch, ReceivedAt: oldest,
		Payload: models.Fields{"type": string(models.EventBatch), "events": payloads}}, nil
}

// renderBatchPayloads renders the payloads of the batch's events that
// have none yet, reading each audience row once for the whole batch, and
// stores them in one transaction. A payload another run stored first is
// read back and sent instead; an event whose payload cannot be rendered is
// left without one (and out of the batch).
func (a *Activities) renderBatchPayloads(ctx context.Context, d *models.Delivery, events []models.Event) error {
	rows := newAudienceRows()
	var rendered []*models.Event
	for i := range events {
		e := &events[i]
		if len(e.Payload) > 0 {
			continue
		}
		switch err := a.renderPayload(ctx, e, rows); {
		case errors.Is(err, models.ErrUnreadable):
			logger(ctx).Error("Event of a batch cannot be rendered", deliveryAttrs(d, "batch_event_id", e.ID, "error", err)...)
			e.Payload = nil
			continue
		case err != nil:
			return err
		}
		rendered = append(rendered, e)
	}
	if len(rendered) == 0 {
		return nil
	}
	storedBefore, err := a.Store.SaveEventPayloads(ctx, rendered)
	if err != nil {
		return err
	}
	for _, id := range storedBefore {
		theirs, err := models.Get[models.Event](ctx, a.Store, id)
		if err != nil {
			return err
		}
		for i := range events {
			if events[i].ID == id {
				events[i].Payload = theirs.Payload
			}
		}
	}
	return nil
}

// readableEvents loads the events one at a time, leaving out those that
// cannot be read: one such event must not stop its batch.
func (a *Activities) readableEvents(ctx context.Context, ids []string) ([]models.Event, error) {
	var events []models.Event
	for _, id := range ids {
		e, err := models.Get[models.Event](ctx, a.Store, id)
		switch {
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrUnreadable):
			continue
		case err != nil:
			return nil, err
		}
		events = append(events, *e)
	}
	return events, nil
}

// unbatched leaves out of an event's webhooks those that take it in their
// batches: its own delivery workflow delivers only to the others. Batched
// webhooks that never batched it (it was stored before they were batched)
// get it on its own, as they would have then.
func (a *Activities) unbatched(ctx context.Context, eventID string, webhooks []models.Webhook) ([]models.Webhook, error) {
	anyBatched := false
	for i := range webhooks {
		anyBatched = anyBatched || webhooks[i].Batched()
	}
	if !anyBatched {
		return webhooks, nil
	}
	batching, err := a.Store.WebhooksBatchingEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	kept := webhooks[:0:0]
	for _, w := range webhooks {
		if !batching[w.ID] {
			kept = append(kept, w)
		}
	}
	return kept, nil
}
