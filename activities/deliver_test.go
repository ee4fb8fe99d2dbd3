package activities

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/models"
)

func TestFirstAttemptSendsASignedRequest(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusNoContent))
	w := createWebhook(t, a, rc.URL+"/hooks/receive.php")
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 1 || res.Failed != 0 || len(res.Pending) != 0 || !reflect.DeepEqual(res.WebhookIDs, []string{w.ID}) {
		t.Fatalf("result %+v, want one success to %s", res, w.ID)
	}
	reqs := rc.received()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	wh, err := standardwebhooks.NewWebhook(w.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(req.Body, req.Header); err != nil {
		t.Errorf("official library rejects the signature: %v", err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	for name, want := range map[string]string{
		"Webhook-Id":          d.ID,
		"Content-Type":        "application/json",
		"User-Agent":          "hookflow/test",
		"Hookflow-Event-Type": "open",
		"Hookflow-Event-Id":   e.ID,
		"Hookflow-Webhook-Id": w.ID,
		"Hookflow-Attempt":    "1",
	} {
		if got := req.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, req.Body)
	}
	if body["id"] != e.ID || body["recipient"] != "ann@example.com" {
		t.Errorf("body %v lacks the enriched payload", body)
	}

	if d.Status != models.DeliverySucceeded || d.Attempts != 1 || d.CompletedAt == nil {
		t.Errorf("delivery %+v, want succeeded after 1 attempt with completed_at", d)
	}
	atts := attemptsOf(t, a, d.ID)
	if len(atts) != 1 || atts[0].Number != 1 || atts[0].StatusCode != http.StatusNoContent || atts[0].Error != "" {
		t.Errorf("attempts %+v, want #1 with 204", atts)
	}
}

func TestFirstAttemptSendsFormBodies(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Format = models.FormatForm })
	e := createEvent(t, a, f, models.EventClick, func(e *models.Event) { e.LinkID = &f.Message.Links[0].ID })

	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	req := rc.received()[0]
	if ct := req.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	form, err := url.ParseQuery(string(req.Body))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{
		"profile[fields][name]": {"Ann"},
		"profile[fields][age]":  {"41"},
		"tags[]":                {"spring", "sale", "shoes"},
		"url":                   {"https://shop.example.com/shoes?a=1&b=2"},
		"type":                  {"click"},
	} {
		if got := form[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("form[%q] = %v, want %v", key, got, want)
		}
	}
}

func TestOnlyMatchingWebhooksGetDeliveries(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	otherDB := models.Database{ID: models.NewID(models.PrefixDatabase), Name: "Other"}
	if err := a.Store.Create(t.Context(), &otherDB); err != nil {
		t.Fatal(err)
	}
	matching := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.DatabaseID, w.CollectionID = &f.Database.ID, &f.Collection.ID })
	unscoped := createWebhook(t, a, rc.URL)
	paused := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Status = models.WebhookPaused })
	createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Status, w.ActiveSince = models.WebhookUnverified, nil })
	createWebhook(t, a, rc.URL, func(w *models.Webhook) {
		later := models.Now().Add(time.Hour)
		w.ActiveSince = &later
	})
	createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.DatabaseID = &otherDB.ID })
	createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Events = []models.EventType{models.EventClick} })
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{matching.ID, unscoped.ID, paused.ID}
	slices.Sort(want)
	if !reflect.DeepEqual(res.WebhookIDs, want) || res.Held != 1 {
		t.Errorf("delivered to %v (%d held), want %v with the paused one's held", res.WebhookIDs, res.Held, want)
	}
	if n := len(rc.received()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}

func TestFirstAttemptsDoNotWaitForASlowReceiver(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	var slowDone atomic.Int64
	slow := newReceiver(t, func(w http.ResponseWriter, n int) {
		time.Sleep(time.Second)
		slowDone.Store(time.Now().UnixNano())
		w.WriteHeader(http.StatusOK)
	})
	fast := newReceiver(t, answering(http.StatusOK))
	// The slow webhook comes first in id order, so a sequential sender
	// would reach the fast one only after the slow one answered.
	slowHook := createWebhook(t, a, slow.URL)
	fastHook := createWebhook(t, a, fast.URL)
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Succeeded != 2 {
		t.Fatalf("result %+v, want 2 successes", res)
	}
	fastAt := fast.received()[0].At
	if slowFinished := time.Unix(0, slowDone.Load()); !fastAt.Before(slowFinished) {
		t.Errorf("fast receiver was called at %v, after the slow one finished at %v", fastAt, slowFinished)
	}
	fastAttempt := attemptsOf(t, a, deliveryOf(t, a, e.ID, fastHook.ID).ID)[0]
	slowAttempt := attemptsOf(t, a, deliveryOf(t, a, e.ID, slowHook.ID).ID)[0]
	if fastAttempt.LatencyMillis >= slowAttempt.LatencyMillis {
		t.Errorf("fast attempt took %d ms, slow %d ms", fastAttempt.LatencyMillis, slowAttempt.LatencyMillis)
	}
}

func TestUnavailableReceiverIsRetriedWithBackoff(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if len(res.Pending) != 1 || res.Pending[0].DeliveryID != d.ID || res.Pending[0].WebhookID != w.ID {
		t.Fatalf("result %+v, want %s pending", res, d.ID)
	}
	if ra := res.Pending[0].RetryAfter; ra < DefaultFirstRetryDelay/2 || ra > DefaultFirstRetryDelay {
		t.Errorf("first RetryAfter %v, want the backoff after one attempt", ra)
	}

	err = a.RetryDelivery(t.Context(), d.ID)
	appErr := applicationError(t, err)
	if appErr.NonRetryable() || appErr.Type() != ErrorTypeAttemptFailed {
		t.Errorf("err %v: want a retryable %s", err, ErrorTypeAttemptFailed)
	}
	if delay := appErr.NextRetryDelay(); delay < DefaultFirstRetryDelay || delay > 2*DefaultFirstRetryDelay {
		t.Errorf("NextRetryDelay %v, want the backoff after two attempts", delay)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryPending || d.Attempts != 2 || d.CompletedAt != nil {
		t.Errorf("delivery %+v, want pending after 2 attempts", d)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pending) != 1 || res.Pending[0].RetryAfter != 7*time.Second {
		t.Errorf("result %+v, want pending with RetryAfter 7s", res)
	}
	// A retry before the Retry-After ended is throttled: no request, no
	// attempt, due when it ends.
	err = a.RetryDelivery(t.Context(), deliveryOf(t, a, e.ID, w.ID).ID)
	if delay := applicationError(t, err).NextRetryDelay(); delay <= 6*time.Second || delay > 7*time.Second {
		t.Errorf("NextRetryDelay %v, want the rest of the 7 s", delay)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Attempts != 1 || d.ReservedSlotAt == nil {
		t.Errorf("delivery %+v, want one attempt and a reserved slot", d)
	}
}

func TestClientErrorFailsTheDeliveryAtOnce(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no such hook \xff"))
	})
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)

	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || len(res.Pending) != 0 {
		t.Errorf("result %+v, want one failure", res)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if d.Status != models.DeliveryFailed || d.CompletedAt == nil {
		t.Errorf("delivery %+v, want failed with completed_at", d)
	}
	if att := attemptsOf(t, a, d.ID); len(att) != 1 || att[0].StatusCode != 404 || att[0].ResponseExcerpt != "no such hook \uFFFD" {
		t.Errorf("attempts %+v, want one 404 with the response excerpt", att)
	}

	err = a.RetryDelivery(t.Context(), d.ID)
	if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != ErrorTypeDeliveryFailed {
		t.Errorf("err %v, want non-retryable %s", err, ErrorTypeDeliveryFailed)
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d requests, want no retry after a 404", n)
	}
}

func TestRetryDeliveryFailsForGoodOnA404(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusInternalServerError, http.StatusNotFound))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	err := a.RetryDelivery(t.Context(), d.ID)
	if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != ErrorTypeDeliveryFailed {
		t.Errorf("err %v, want non-retryable %s", err, ErrorTypeDeliveryFailed)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryFailed || d.Attempts != 2 {
		t.Errorf("delivery %+v, want failed after 2 attempts", d)
	}
}

func TestRetriesUntilTheReceiverAccepts(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusInternalServerError, http.StatusBadGateway, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)

	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if err := a.RetryDelivery(t.Context(), d.ID); err == nil {
		t.Fatal("second attempt got 502 but RetryDelivery returned nil")
	}
	if err := a.RetryDelivery(t.Context(), d.ID); err != nil {
		t.Fatalf("third attempt got 200 but RetryDelivery returned %v", err)
	}
	// A lost result makes Temporal call again: nothing more is sent.
	if err := a.RetryDelivery(t.Context(), d.ID); err != nil {
		t.Fatalf("RetryDelivery on a succeeded delivery: %v", err)
	}

	d = deliveryOf(t, a, e.ID, w.ID)
	if d.Status != models.DeliverySucceeded || d.Attempts != 3 || d.CompletedAt == nil {
		t.Errorf("delivery %+v, want succeeded after 3 attempts", d)
	}
	var codes []int
	for i, att := range attemptsOf(t, a, d.ID) {
		if att.Number != i+1 {
			t.Errorf("attempt %d numbered %d", i+1, att.Number)
		}
		codes = append(codes, att.StatusCode)
	}
	if want := []int{500, 502, 200}; !reflect.DeepEqual(codes, want) {
		t.Errorf("attempt status codes %v, want %v", codes, want)
	}
	reqs := rc.received()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for i, req := range reqs {
		if got := req.Header.Get("Hookflow-Attempt"); got != strconv.Itoa(i+1) {
			t.Errorf("request %d has Hookflow-Attempt %q", i+1, got)
		}
		if got := req.Header.Get("Webhook-Id"); got != d.ID {
			t.Errorf("request %d has webhook-id %q, want the delivery id %s on every retry", i+1, got, d.ID)
		}
		if string(req.Body) != string(reqs[0].Body) {
			t.Errorf("request %d body differs from the first:\n%s\n%s", i+1, req.Body, reqs[0].Body)
		}
	}
}

func TestDeliverFirstAttemptsTwiceSendsNothingTwice(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	ok := newReceiver(t, answering(http.StatusOK))
	busy := newReceiver(t, answering(http.StatusServiceUnavailable))
	gone := newReceiver(t, answering(http.StatusNotFound))
	createWebhook(t, a, ok.URL)
	busyHook := createWebhook(t, a, busy.URL)
	createWebhook(t, a, gone.URL)
	e := createEvent(t, a, f, models.EventOpen)

	first, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range []*receiver{ok, busy, gone} {
		if n := len(rc.received()); n != 1 {
			t.Errorf("receiver %s got %d requests, want 1", rc.URL, n)
		}
	}
	for _, res := range []FirstAttemptsResult{first, second} {
		if res.Succeeded != 1 || res.Failed != 1 || len(res.Pending) != 1 || res.Pending[0].WebhookID != busyHook.ID || len(res.WebhookIDs) != 3 {
			t.Errorf("result %+v, want 1 succeeded, 1 failed, %s pending", res, busyHook.ID)
		}
	}
	if second.Pending[0].RetryAfter <= 0 {
		t.Errorf("re-run reports pending without a delay")
	}
	var n int64
	if err := a.Store.DB(t.Context()).Model(&models.Delivery{}).Where("event_id = ?", e.ID).Count(&n).Error; err != nil || n != 3 {
		t.Errorf("%d deliveries (err %v), want 3", n, err)
	}
}

func TestRetryDeliveryToADeletedWebhookFails(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if err := models.Delete[models.Webhook](t.Context(), a.Store, w.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	err := a.RetryDelivery(t.Context(), d.ID)
	if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != ErrorTypeWebhookNotFound {
		t.Errorf("err %v, want non-retryable %s", err, ErrorTypeWebhookNotFound)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryFailed {
		t.Errorf("delivery status %s, want failed", d.Status)
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("receiver got %d requests, want only the first attempt", n)
	}
}

func TestAttemptToAPausedOrDisabledWebhookHoldsUnsent(t *testing.T) {
	for _, off := range []models.WebhookTransition{models.PauseWebhook(), models.DisableWebhook(models.ActorOwner, models.ReasonDisabledByOwner)} {
		t.Run(off.Name, func(t *testing.T) {
			a := newActivities(t)
			f := createAudience(t, a)
			rc := newReceiver(t, answering(http.StatusServiceUnavailable))
			w := createWebhook(t, a, rc.URL)
			e := createEvent(t, a, f, models.EventOpen)
			if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
				t.Fatal(err)
			}
			if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, off); err != nil || !moved {
				t.Fatalf("%s: %v, %v", off.Name, moved, err)
			}
			d := deliveryOf(t, a, e.ID, w.ID)
			res, err := a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID})
			if err != nil || res.Status != models.DeliveryHeld || res.NextAttemptAt != nil {
				t.Errorf("attempt: %+v, %v; want held with no next attempt", res, err)
			}
			if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryHeld || d.NextAttemptAt != nil || d.Attempts != 1 {
				t.Errorf("delivery %+v, want held after its one attempt, nothing due", d)
			}
			if n := len(rc.received()); n != 1 {
				t.Errorf("receiver got %d requests, want nothing sent once %s", n, off.To)
			}
			// A held delivery leaves its event settled: nothing is pending.
			if ev, err := models.Get[models.Event](t.Context(), a.Store, e.ID); err != nil || ev.SettledAt == nil {
				t.Errorf("event %+v (err %v), want settled", ev, err)
			}
			// The workflows from before retry through RetryDelivery: held ends them.
			err = a.RetryDelivery(t.Context(), d.ID)
			if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != ErrorTypeDeliveryHeld {
				t.Errorf("RetryDelivery: %v, want non-retryable %s", err, ErrorTypeDeliveryHeld)
			}
		})
	}
}

func TestFirstAttemptsHoldDeliveriesToPausedWebhooks(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.PauseWebhook()); err != nil || !moved {
		t.Fatalf("pause: %v, %v", moved, err)
	}
	e := createEvent(t, a, f, models.EventOpen)
	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil || res.Held != 1 || len(res.Pending) != 0 || res.Failed != 0 {
		t.Fatalf("first attempts: %+v, %v; want one held", res, err)
	}
	if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryHeld || d.Attempts != 0 {
		t.Errorf("delivery %+v, want held with no attempt", d)
	}
	if n := len(rc.received()); n != 0 {
		t.Errorf("receiver got %d requests while paused, want none", n)
	}
}

func TestFailDeliveryNeverOverwritesASuccess(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	busy := newReceiver(t, answering(http.StatusServiceUnavailable))
	ok := newReceiver(t, answering(http.StatusOK))
	busyHook := createWebhook(t, a, busy.URL)
	okHook := createWebhook(t, a, ok.URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	pending, succeeded := deliveryOf(t, a, e.ID, busyHook.ID), deliveryOf(t, a, e.ID, okHook.ID)
	for range 2 { // idempotent
		for _, id := range []string{pending.ID, succeeded.ID, "dlv_unknown"} {
			if err := a.FailDelivery(t.Context(), id, "retry window ran out"); err != nil {
				t.Fatalf("FailDelivery(%s): %v", id, err)
			}
		}
	}
	if d := deliveryOf(t, a, e.ID, busyHook.ID); d.Status != models.DeliveryFailed || d.CompletedAt == nil || d.Attempts != 1 {
		t.Errorf("pending delivery became %+v, want failed", d)
	}
	if d := deliveryOf(t, a, e.ID, okHook.ID); d.Status != models.DeliverySucceeded || !d.CompletedAt.Equal(*succeeded.CompletedAt) {
		t.Errorf("succeeded delivery became %+v", d)
	}
}

func TestDeliverFirstAttemptsOfAnUnknownEventSkipsIt(t *testing.T) {
	a := newActivities(t)
	res, err := a.DeliverFirstAttempts(t.Context(), "evt_unknown")
	if err != nil || res.Skipped != "event evt_unknown was deleted" || len(res.WebhookIDs) != 0 {
		t.Errorf("result %+v, err %v; want skipped as deleted", res, err)
	}
}

// The workflows see these activities through Temporal: registration works
// and NextRetryDelay survives the trip through the failure converter.
func TestActivitiesRunInTemporal(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)

	val, err := env.ExecuteLocalActivity(a.DeliverFirstAttempts, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var res FirstAttemptsResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Pending) != 1 || res.Pending[0].RetryAfter != 7*time.Second {
		t.Fatalf("result %+v, want one pending with RetryAfter 7s", res)
	}

	_, err = env.ExecuteActivity(a.RetryDelivery, deliveryOf(t, a, e.ID, w.ID).ID)
	appErr := applicationError(t, err)
	// The webhook asked for 7 s: the retry is throttled until they end.
	if delay := appErr.NextRetryDelay(); appErr.Type() != ErrorTypeAttemptFailed || appErr.NonRetryable() || delay <= 6*time.Second || delay > 7*time.Second {
		t.Errorf("err %v (type %s, next retry %v), want retryable after the rest of 7s", err, appErr.Type(), delay)
	}
}
