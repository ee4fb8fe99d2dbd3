package activities

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestFirstAttemptsSettleAnEventWithNothingPending(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	ok := newReceiver(t, answering(http.StatusOK))
	gone := newReceiver(t, answering(http.StatusNotFound))
	createWebhook(t, a, ok.URL)
	createWebhook(t, a, gone.URL)
	e := createEvent(t, a, f, models.EventOpen)
	nobody := createEvent(t, a, f, models.EventBounce) // no webhook wants bounces

	for _, id := range []string{e.ID, nobody.ID} {
		res, err := a.DeliverFirstAttempts(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if res.RetryWindow != DefaultRetryWindow || res.RequestTimeout != DefaultRequestTimeout {
			t.Errorf("result carries window %v and timeout %v, want the worker's settings", res.RetryWindow, res.RequestTimeout)
		}
		if eventOf(t, a, id).SettledAt == nil {
			t.Errorf("event %s not settled with every outcome recorded", id)
		}
	}
}

func TestTheLastOutcomeSettlesTheEvent(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	flaky := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK))
	down := newReceiver(t, answering(http.StatusServiceUnavailable))
	flakyHook := createWebhook(t, a, flaky.URL)
	downHook := createWebhook(t, a, down.URL)
	e := createEvent(t, a, f, models.EventOpen)
	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil || len(res.Pending) != 2 {
		t.Fatalf("result %+v, err %v; want both pending", res, err)
	}
	if eventOf(t, a, e.ID).SettledAt != nil {
		t.Fatal("settled with deliveries pending")
	}

	if err := a.RetryDelivery(t.Context(), deliveryOf(t, a, e.ID, flakyHook.ID).ID); err != nil {
		t.Fatal(err)
	}
	if eventOf(t, a, e.ID).SettledAt != nil {
		t.Fatal("settled with a delivery pending")
	}
	if err := a.FailDelivery(t.Context(), deliveryOf(t, a, e.ID, downHook.ID).ID, "retry window ran out"); err != nil {
		t.Fatal(err)
	}
	if eventOf(t, a, e.ID).SettledAt == nil {
		t.Fatal("not settled after the last outcome")
	}
}

// One event that cannot be read holds up nothing: it is skipped, reported
// and settled, and the next one is delivered.
func TestAnUnreadableEventIsSkipped(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Events = append(w.Events, models.EventBounce) })

	// Deeper than encoding/json reads: stored, but never read back.
	unreadable := createEvent(t, a, f, models.EventBounce, func(e *models.Event) { e.Data = modelstest.DeeplyNested(10001) })
	// Readable, but its payload ({"data": …}) is one level deeper.
	unrenderable := createEvent(t, a, f, models.EventBounce, func(e *models.Event) { e.Data = modelstest.DeeplyNested(10000) })
	if err := json.Unmarshal([]byte(modelstest.DeeplyNestedJSON(10000)), new(any)); err != nil {
		t.Fatalf("10000 levels should be readable: %v", err)
	}
	fine := createEvent(t, a, f, models.EventOpen)

	for _, e := range []*models.Event{unreadable, unrenderable} {
		res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
		if err != nil {
			t.Fatalf("event %s: %v, want it skipped", e.ID, err)
		}
		if !strings.Contains(res.Skipped, e.ID) || !strings.Contains(res.Skipped, "exceeded max depth") || len(res.WebhookIDs) != 0 {
			t.Errorf("result %+v, want skipped saying why", res)
		}
		if eventOf(t, a, e.ID).SettledAt == nil {
			t.Errorf("skipped event %s not settled", e.ID)
		}
	}
	if res, err := a.DeliverFirstAttempts(t.Context(), fine.ID); err != nil || res.Succeeded != 1 {
		t.Fatalf("the next event: %+v, %v; want delivered", res, err)
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d requests, want only the readable event", n)
	}
}

// A pending delivery whose event became unreadable fails for good.
func TestRetryOfAnUnreadableEventFailsTheDelivery(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DB(t.Context()).Model(&models.Event{}).Where("id = ?", e.ID).Update("payload", "{"+strings.Repeat(`"a":{`, 10001)).Error; err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	err := a.RetryDelivery(t.Context(), d.ID)
	if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != ErrorTypeEventUnreadable {
		t.Fatalf("err %v, want non-retryable %s", err, ErrorTypeEventUnreadable)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryFailed || !strings.Contains(d.FailureReason, "cannot be read") {
		t.Errorf("delivery %+v, want failed saying the event cannot be read", d)
	}
	if eventOf(t, a, e.ID).SettledAt == nil {
		t.Error("event not settled after its last delivery failed")
	}
}
