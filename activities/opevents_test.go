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

func operationalEvents(t *testing.T, a *Activities, typ models.EventType) []models.Event {
	t.Helper()
	var events []models.Event
	if err := a.Store.DB(t.Context()).Where("type = ?", typ).Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	return events
}

func subscribedTo(types ...models.EventType) func(*models.Webhook) {
	return func(w *models.Webhook) { w.Events = append(w.Events, types...) }
}

// An emission repeated (a retried activity) stores and starts one event;
// while Temporal is down it is stored, fails retryably, and starts once
// Temporal is back.
func TestEmitOperationalEventStoresOnceAndStartsItsDelivery(t *testing.T) {
	a := newActivities(t)
	runs := a.Runs.(fakeRuns)
	rc := newReceiver(t, answering(http.StatusOK))
	subject := createWebhook(t, a, rc.URL)
	createWebhook(t, a, rc.URL, subscribedTo(models.EventWebhookDisabled, models.EventWebhookRecovered))
	at := models.Now()

	*runs.down = true
	appErr := applicationError(t, a.EmitOperationalEvent(t.Context(), models.WebhookRecoveredEvent(subject, 3, at)))
	if appErr.NonRetryable() || appErr.Type() != ErrorTypeUnavailable {
		t.Errorf("emission while Temporal is down: %v, want a retryable %s", appErr, ErrorTypeUnavailable)
	}
	stored := operationalEvents(t, a, models.EventWebhookRecovered)
	if len(stored) != 1 || stored[0].DispatchedAt != nil {
		t.Fatalf("stored %+v, want one undispatched event for the sweeper", stored)
	}
	undispatched, err := a.Store.UndispatchedEvents(t.Context(), models.Now().Add(time.Second), "", 10)
	if err != nil || len(undispatched) != 1 || undispatched[0].ID != stored[0].ID {
		t.Errorf("undispatched events %v (err %v), want the stored one for the sweeper", undispatched, err)
	}
	*runs.down = false

	for range 2 {
		if err := a.EmitOperationalEvent(t.Context(), models.WebhookRecoveredEvent(subject, 3, at)); err != nil {
			t.Fatal(err)
		}
	}
	stored = operationalEvents(t, a, models.EventWebhookRecovered)
	if len(stored) != 1 || stored[0].DispatchedAt == nil {
		t.Fatalf("stored %+v, want the one event, dispatched", stored)
	}
	if started := runs.startedEvents(); len(started) != 1 || started[0] != stored[0].ID {
		t.Errorf("started %v, want %s once", started, stored[0].ID)
	}
	if stored[0].Data["released"] != json.Number("3") || stored[0].Data["webhook_id"] != subject.ID {
		t.Errorf("data %v, want released 3 about %s", stored[0].Data, subject.ID)
	}
}

// Nothing is stored for an operational event no webhook subscribes to.
func TestEmitOperationalEventNobodySubscribesToStoresNothing(t *testing.T) {
	a := newActivities(t)
	subject := createWebhook(t, a, "https://example.com/hook")
	if err := a.EmitOperationalEvent(t.Context(), models.WebhookDisabledEvent(subject, "410 Gone", models.Now())); err != nil {
		t.Fatal(err)
	}
	if stored := operationalEvents(t, a, models.EventWebhookDisabled); len(stored) != 0 {
		t.Errorf("stored %+v, want nothing", stored)
	}
}

// A delivery whose retry window ran out emits delivery.exhausted, which is
// delivered, signed, to the other subscribers and never to the webhook it
// is about; one that failed otherwise, or of an operational event itself,
// emits nothing.
func TestFailDeliveryEmitsDeliveryExhausted(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	down := newReceiver(t, answering(http.StatusServiceUnavailable))
	watcher := newReceiver(t, answering(http.StatusOK))
	downHook := createWebhook(t, a, down.URL, subscribedTo(models.EventDeliveryExhausted))
	watcherHook := createWebhook(t, a, watcher.URL, func(w *models.Webhook) { w.Events = []models.EventType{models.EventDeliveryExhausted} })
	downWatcher := newReceiver(t, answering(http.StatusServiceUnavailable))
	downWatcherHook := createWebhook(t, a, downWatcher.URL, func(w *models.Webhook) { w.Events = []models.EventType{models.EventDeliveryExhausted} })
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	failing := deliveryOf(t, a, e.ID, downHook.ID)
	for range 2 { // a retried FailDelivery emits nothing new
		if err := a.FailDelivery(t.Context(), failing.ID, ReasonRetryWindowRanOut); err != nil {
			t.Fatal(err)
		}
	}
	exhausted := operationalEvents(t, a, models.EventDeliveryExhausted)
	if len(exhausted) != 1 {
		t.Fatalf("%d delivery.exhausted events, want 1", len(exhausted))
	}
	ex := exhausted[0]
	if ex.SubjectWebhookID == nil || *ex.SubjectWebhookID != downHook.ID || ex.DispatchedAt == nil {
		t.Errorf("event %+v, want about %s and dispatched", ex, downHook.ID)
	}

	// Its delivery workflow's first step: the watchers get it, the failing webhook not.
	res, err := a.DeliverFirstAttempts(t.Context(), ex.ID)
	if err != nil || res.Succeeded != 1 || len(res.Pending) != 1 || !slices.Equal(res.WebhookIDs, []string{watcherHook.ID, downWatcherHook.ID}) {
		t.Fatalf("first attempts %+v (err %v), want them to %s and %s only", res, err, watcherHook.ID, downWatcherHook.ID)
	}
	got := watcher.received()
	if len(got) != 1 {
		t.Fatalf("watcher got %d requests, want 1", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(watcherHook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].Body, got[0].Header); err != nil {
		t.Errorf("official library rejects the signature: %v", err)
	}
	var body struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	last, _ := body.Data["last_result"].(map[string]any)
	if body.ID != ex.ID || body.Type != "delivery.exhausted" || body.Data["delivery_id"] != failing.ID || body.Data["event_id"] != e.ID ||
		body.Data["event_type"] != "open" || body.Data["webhook_id"] != downHook.ID || body.Data["attempts"] != 1.0 ||
		body.Data["reason"] != ReasonRetryWindowRanOut || last["status_code"] != 503.0 {
		t.Errorf("payload %s, want delivery.exhausted about %s with its last result", got[0].Body, failing.ID)
	}
	if n := len(down.received()); n != 1 {
		t.Errorf("the failing webhook got %d requests, want only its own event's first attempt", n)
	}

	// A delivery of it exhausting emits nothing: two failing webhooks never feed each other.
	if err := a.FailDelivery(t.Context(), deliveryOf(t, a, ex.ID, downWatcherHook.ID).ID, ReasonRetryWindowRanOut); err != nil {
		t.Fatal(err)
	}
	// Another reason emits nothing either.
	other := createEvent(t, a, f, models.EventClick)
	if _, err := a.DeliverFirstAttempts(t.Context(), other.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.FailDelivery(t.Context(), deliveryOf(t, a, other.ID, downHook.ID).ID, "cannot be attempted: unreadable"); err != nil {
		t.Fatal(err)
	}
	if n := len(operationalEvents(t, a, models.EventDeliveryExhausted)); n != 1 {
		t.Errorf("%d delivery.exhausted events, want still 1", n)
	}
}
