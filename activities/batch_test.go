package activities

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/models"
)

// shortCollections makes a collection that finds nothing ready give up
// soon, as collectPollTime does after half a minute.
func shortCollections(t *testing.T) {
	before := collectPollTime
	collectPollTime = 300 * time.Millisecond
	t.Cleanup(func() { collectPollTime = before })
}

// createBatchedWebhook stores a webhook of the default account, as
// createWebhook does, that batches up to maxEvents events or maxWaitMS.
func createBatchedWebhook(t *testing.T, a *Activities, url string, maxEvents, maxWaitMS int) *models.Webhook {
	t.Helper()
	return createWebhook(t, a, url, func(w *models.Webhook) {
		w.AccountID = models.DefaultAccountID
		w.Batch = &models.WebhookBatch{MaxEvents: maxEvents, MaxWaitMS: maxWaitMS}
	})
}

// collectedBatch collects the webhook's next batch, which must hold n
// events, and returns its delivery's id.
func collectedBatch(t *testing.T, a *Activities, webhookID string, n int) string {
	t.Helper()
	got, err := a.CollectBatch(t.Context(), webhookID)
	if err != nil || got.DeliveryID == "" || got.Events != n {
		t.Fatalf("collected %+v (err %v), want a batch of %d", got, err, n)
	}
	return got.DeliveryID
}

// storeBatchedEvents stores n open events through CreateEvents, as the API
// does, and returns them in the order they came.
func storeBatchedEvents(t *testing.T, a *Activities, f audienceFixture, n int) []*models.Event {
	t.Helper()
	events := make([]*models.Event, n)
	for i := range events {
		now := models.Now()
		events[i] = &models.Event{ID: models.NewID(models.PrefixEvent), AccountID: models.DefaultAccountID, Type: models.EventOpen,
			OccurredAt: now, ReceivedAt: now, MessageID: &f.Message.ID, DatabaseID: &f.Database.ID}
	}
	if err := a.Store.CreateEvents(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	return events
}

// batchBody is a batch request's body as a receiver reads it.
type batchBody struct {
	Type   string           `json:"type"`
	Events []map[string]any `json:"events"`
}

func verifiedBatch(t *testing.T, w *models.Webhook, req receivedRequest) batchBody {
	t.Helper()
	verifier, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifier.Verify(req.Body, req.Header); err != nil {
		t.Fatalf("batch signature: %v", err)
	}
	var body batchBody
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("batch body %s: %v", req.Body, err)
	}
	return body
}

func idsIn(body batchBody) []string {
	var ids []string
	for _, e := range body.Events {
		ids = append(ids, e["id"].(string))
	}
	return ids
}

// A batch holds at most max_events events, in the order they were stored,
// each with its usual payload, in one signed request whose webhook-id is
// the batch delivery's; the rest wait for the next batch.
func TestABatchGoesAsOneSignedRequestInOrder(t *testing.T) {
	a := newActivities(t)
	ctx := t.Context()
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	w := createBatchedWebhook(t, a, rc.URL, 3, 0)
	events := storeBatchedEvents(t, a, f, 5)

	for _, want := range [][]*models.Event{events[:3], events[3:]} {
		batch := collectedBatch(t, a, w.ID, len(want))
		res, err := a.DeliverBatch(ctx, batch)
		if err != nil || res.Status != models.DeliverySucceeded {
			t.Fatalf("delivered %+v (err %v), want succeeded", res, err)
		}
		reqs := rc.received()
		req := reqs[len(reqs)-1]
		body := verifiedBatch(t, w, req)
		var wantIDs []string
		for _, e := range want {
			wantIDs = append(wantIDs, e.ID)
		}
		if body.Type != "batch" || !slices.Equal(idsIn(body), wantIDs) {
			t.Errorf("batch body %s, want type batch with %v in order", req.Body, wantIDs)
		}
		if body.Events[0]["type"] != "open" || body.Events[0]["message"] != f.Message.ID || body.Events[0]["recipient"] != "ann@example.com" {
			t.Errorf("a batched event's payload %v is not its usual payload", body.Events[0])
		}
		if req.Header.Get("webhook-id") != batch || req.Header.Get(HeaderEventType) != "batch" {
			t.Errorf("headers %v, want webhook-id %s and event type batch", req.Header, batch)
		}
		d, err := models.Get[models.Delivery](ctx, a.Store, batch)
		if err != nil || d.Status != models.DeliverySucceeded || d.Attempts != 1 || len(attemptsOf(t, a, d.ID)) != 1 {
			t.Errorf("delivery %+v (err %v), want succeeded after one logged attempt", d, err)
		}
	}
	if len(rc.received()) != 2 {
		t.Errorf("%d requests, want 2 batches", len(rc.received()))
	}
}

// A batch waits up to max_wait_ms for more events: none is collected before
// then unless max_events wait.
func TestABatchWaitsForMoreUntilItsTime(t *testing.T) {
	shortCollections(t)
	a := newActivities(t)
	f := createAudience(t, a)
	w := createBatchedWebhook(t, a, "http://127.0.0.1:1/", 10, 60000)
	storeBatchedEvents(t, a, f, 2)
	got, err := a.CollectBatch(t.Context(), w.ID)
	if err != nil || got.DeliveryID != "" || got.Done {
		t.Fatalf("collected %+v (err %v) before the batch's time, want nothing", got, err)
	}
	storeBatchedEvents(t, a, f, 8)
	if got, err = a.CollectBatch(t.Context(), w.ID); err != nil || got.Events != 10 {
		t.Fatalf("collected %+v (err %v), want the 10 events max_events allows at once", got, err)
	}
}

// A failing batch is handed, pending, to a delivery workflow of its own;
// its retry sends the same body with the same webhook-id, and a retry of
// DeliverBatch sends nothing again.
func TestAFailingBatchIsRetriedWhole(t *testing.T) {
	a := newActivities(t)
	ctx := t.Context()
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK))
	w := createBatchedWebhook(t, a, rc.URL, 4, 0)
	storeBatchedEvents(t, a, f, 4)
	batch := collectedBatch(t, a, w.ID, 4)
	res, err := a.DeliverBatch(ctx, batch)
	if err != nil || res.Status != models.DeliveryPending || !res.Retrying {
		t.Fatalf("delivered %+v (err %v), want pending and handed on", res, err)
	}
	if again, err := a.DeliverBatch(ctx, batch); err != nil || !again.Retrying || len(rc.received()) != 1 {
		t.Fatalf("DeliverBatch again: %+v (err %v), %d requests; want it handed on again with nothing sent", again, err, len(rc.received()))
	}
	if continued := *a.Runs.(fakeRuns).continued; !slices.Equal(continued, []string{batch, batch}) {
		t.Errorf("handed on %v, want the batch (twice: the hand-over is idempotent)", continued)
	}
	retry, err := a.AttemptDelivery(ctx, AttemptRequest{DeliveryID: batch})
	if err != nil || retry.Status != models.DeliverySucceeded || retry.Attempts != 2 {
		t.Fatalf("retry %+v (err %v), want succeeded at attempt 2", retry, err)
	}
	reqs := rc.received()
	if len(reqs) != 2 || string(reqs[0].Body) != string(reqs[1].Body) || reqs[0].Header.Get("webhook-id") != reqs[1].Header.Get("webhook-id") {
		t.Errorf("the retry sent %q as %s, the first attempt %q as %s: want the same body and webhook-id",
			reqs[1].Body, reqs[1].Header.Get("webhook-id"), reqs[0].Body, reqs[0].Header.Get("webhook-id"))
	}
	verifiedBatch(t, w, reqs[1])
}

// A paused webhook's events are not collected: they wait, and so does a
// webhook that still holds a delivery once active again (its drain goes
// first, keeping the order). A deleted webhook's waiting events are
// dropped and its batching ends; so does an unbatched one's once what
// waited went.
func TestCollectingFollowsTheWebhook(t *testing.T) {
	shortCollections(t)
	a := newActivities(t)
	ctx := t.Context()
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	w := createBatchedWebhook(t, a, rc.URL, 100, 0)
	storeBatchedEvents(t, a, f, 3)
	setStatus := func(status models.WebhookStatus) {
		if err := a.Store.DB(ctx).Model(&models.Webhook{}).Where("id = ?", w.ID).Update("status", status).Error; err != nil {
			t.Fatal(err)
		}
	}
	setStatus(models.WebhookPaused)
	if got, err := a.CollectBatch(ctx, w.ID); err != nil || got.DeliveryID != "" || got.Done {
		t.Fatalf("collected %+v (err %v) for a paused webhook, want nothing", got, err)
	}
	setStatus(models.WebhookActive)
	held := models.Delivery{ID: models.NewID(models.PrefixDelivery), EventID: models.NewID(models.PrefixBatch), EventType: models.EventBatch, EventCount: 1, WebhookID: w.ID, Status: models.DeliveryHeld}
	held.AccountID = models.DefaultAccountID
	if err := a.Store.Create(ctx, &held); err != nil {
		t.Fatal(err)
	}
	if got, err := a.CollectBatch(ctx, w.ID); err != nil || got.DeliveryID != "" {
		t.Fatalf("collected %+v (err %v) while a batch is held, want nothing before the drain", got, err)
	}
	if err := a.Store.DB(ctx).Model(&models.Delivery{}).Where("id = ?", held.ID).Update("status", models.DeliverySucceeded).Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DB(ctx).Model(&models.Webhook{}).Where("id = ?", w.ID).Update("batch", nil).Error; err != nil {
		t.Fatal(err)
	}
	got, err := a.CollectBatch(ctx, w.ID)
	if err != nil || got.Events != 3 {
		t.Fatalf("collected %+v (err %v) once unbatched, want the 3 waiting events", got, err)
	}
	if _, err := a.DeliverBatch(ctx, got.DeliveryID); err != nil {
		t.Fatal(err)
	}
	if got, err := a.CollectBatch(ctx, w.ID); err != nil || !got.Done {
		t.Fatalf("collected %+v (err %v) from an unbatched webhook with nothing waiting, want done", got, err)
	}

	gone := createBatchedWebhook(t, a, rc.URL, 100, 60000)
	storeBatchedEvents(t, a, f, 2)
	if err := models.Delete[models.Webhook](ctx, a.Store, gone.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := a.CollectBatch(ctx, gone.ID); err != nil || !got.Done {
		t.Fatalf("collected %+v (err %v) for a deleted webhook, want done", got, err)
	}
	if waiting, _ := a.Store.WaitingBatchItems(ctx, gone.ID, 10); len(waiting) != 0 {
		t.Errorf("%d events still wait for a deleted webhook", len(waiting))
	}
}

// An event's own workflow leaves out the webhooks that batch it, and
// delivers to a batched webhook an event stored before it was batched.
func TestAnEventsWorkflowLeavesBatchedWebhooksToTheirBatches(t *testing.T) {
	a := newActivities(t)
	ctx := t.Context()
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	batched := createBatchedWebhook(t, a, rc.URL, 100, 60000)
	single := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.AccountID = models.DefaultAccountID })
	e := storeBatchedEvents(t, a, f, 1)[0]
	res, err := a.DeliverFirstAttempts(ctx, e.ID)
	if err != nil || !slices.Equal(res.WebhookIDs, []string{single.ID}) {
		t.Fatalf("first attempts %+v (err %v), want only the unbatched webhook %s", res, err, single.ID)
	}
	early := createEvent(t, a, f, models.EventOpen, func(e *models.Event) { e.AccountID = models.DefaultAccountID }) // stored without an outbox row, as before batching
	res, err = a.DeliverFirstAttempts(ctx, early.ID)
	if err != nil || len(res.WebhookIDs) != 2 || !slices.Contains(res.WebhookIDs, batched.ID) {
		t.Fatalf("first attempts %+v (err %v), want both webhooks: the batched one never batched it", res, err)
	}
}

// One run of DeliverBatches delivers batch after batch until nothing is
// ready, and a failing one is handed on without holding up the next.
func TestDeliverBatchesDeliversBatchAfterBatch(t *testing.T) {
	shortCollections(t)
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK))
	w := createBatchedWebhook(t, a, rc.URL, 4, 0)
	events := storeBatchedEvents(t, a, f, 10)
	res, err := a.DeliverBatches(t.Context(), w.ID)
	if err != nil || res.Batches != 3 || res.Events != 10 || res.Retrying != 1 || res.Done {
		t.Fatalf("delivered %+v (err %v), want 3 batches of the 10 events, the first handed on for retries", res, err)
	}
	var got []string
	for _, req := range rc.received() {
		got = append(got, idsIn(verifiedBatch(t, w, req))...)
	}
	if !slices.Equal(got, eventIDs(events)) {
		t.Errorf("batches sent %v, want %v in order", got, eventIDs(events))
	}
}

func eventIDs(events []*models.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}

// A pending batch whose retry workflow was lost (its attempt overdue by
// ReconcileAfter, and no workflow runs for it) is handed to a new one by
// the reconciler; one whose workflow runs, or that is not overdue yet, is
// left alone. A batch has no event row, so only this finds it.
func TestTheReconcilerRetriesABatchWhoseWorkflowWasLost(t *testing.T) {
	a := newActivities(t)
	ctx := t.Context()
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable))
	w := createBatchedWebhook(t, a, rc.URL, 2, 0)
	storeBatchedEvents(t, a, f, 2)
	batch := collectedBatch(t, a, w.ID, 2)
	if res, err := a.DeliverBatch(ctx, batch); err != nil || !res.Retrying {
		t.Fatalf("delivered %+v (err %v), want it pending and handed on", res, err)
	}
	runs := a.Runs.(fakeRuns)
	handedOn := func() int { return len(*runs.continued) }
	if handedOn() != 1 {
		t.Fatalf("handed on %d times, want once", handedOn())
	}
	d, err := models.Get[models.Delivery](ctx, a.Store, batch)
	if err != nil {
		t.Fatal(err)
	}
	overdue := func(by time.Duration) {
		t.Helper()
		if err := a.Store.DB(ctx).Model(&models.Delivery{}).Where("id = ?", d.ID).Update("next_attempt_at", models.Now().Add(-by)).Error; err != nil {
			t.Fatal(err)
		}
	}
	after := a.settings().ReconcileAfter

	overdue(after / 2)
	if res, err := a.ReconcileEvents(ctx); err != nil || res.BatchesRetried != 0 || handedOn() != 1 {
		t.Fatalf("not overdue long enough: %+v (err %v), handed on %d times; want it left alone", res, err, handedOn())
	}
	overdue(2 * after)
	runs.states[d.EventID] = RunRunning
	if res, err := a.ReconcileEvents(ctx); err != nil || res.BatchesRetried != 0 || handedOn() != 1 {
		t.Fatalf("its workflow runs: %+v (err %v), handed on %d times; want it left to the workflow", res, err, handedOn())
	}
	runs.states[d.EventID] = RunEnded
	res, err := a.ReconcileEvents(ctx)
	if err != nil || res.BatchesRetried != 1 || handedOn() != 2 || (*runs.continued)[1] != d.ID {
		t.Fatalf("lost workflow: %+v (err %v), handed on %v; want the batch handed to a new one", res, err, *runs.continued)
	}
}
