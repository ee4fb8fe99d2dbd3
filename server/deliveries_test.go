package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// recordedDelivery makes a delivery of event to webhook with attempts
// answering the given status codes (0: connection refused), as the worker
// would record them, and leaves it in status.
func recordedDelivery(t *testing.T, store *models.Store, eventID, webhookID string, status models.DeliveryStatus, codes ...int) models.Delivery {
	t.Helper()
	ctx := t.Context()
	e, err := models.Get[models.Event](ctx, store, eventID)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := store.EnsureDeliveries(ctx, e, []models.Webhook{{ID: webhookID, Status: models.WebhookActive}})
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	for i, code := range codes {
		st := models.DeliveryPending
		if i == len(codes)-1 {
			st = status
		}
		var next *time.Time
		if st == models.DeliveryPending {
			at := models.Now().Add(time.Minute)
			next = &at
		}
		att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: d.ID, Number: i + 1,
			StatusCode: code, LatencyMillis: int64(10 * (i + 1)), StartedAt: models.Now()}
		if code == 0 {
			att.Error = "connection refused"
		}
		if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: att, Status: st, NextAttemptAt: next}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := models.Get[models.Delivery](ctx, store, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	return *got
}

func TestDeliveryLog(t *testing.T) {
	var store *models.Store
	h := newServer(t, keepStore(&store), allowPrivate)
	a := createAudience(t, h)
	msg := mustCreate(t, h, "/v1/messages", map[string]any{"profile_id": a.Profile})
	hook := mustCreate(t, h, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"open", "click"}})
	event := func(typ string) string {
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": typ, "message_id": msg})
		want(t, r, http.StatusAccepted)
		return r.str("id")
	}
	openOK := recordedDelivery(t, store, event("open"), hook, models.DeliverySucceeded, 503, 503, 200)
	clickFailed := recordedDelivery(t, store, event("click"), hook, models.DeliveryFailed, 404)
	openPending := recordedDelivery(t, store, event("open"), hook, models.DeliveryPending, 0)

	list := do(t, h, http.MethodGet, "/v1/webhooks/"+hook+"/deliveries", nil)
	want(t, list, http.StatusOK)
	if got, want := list.ids(), []string{openPending.ID, clickFailed.ID, openOK.ID}; !slices.Equal(got, want) {
		t.Errorf("deliveries %v, want newest first %v", got, want)
	}
	for query, wantIDs := range map[string][]string{
		"?status=failed":                    {clickFailed.ID},
		"?status=pending":                   {openPending.ID},
		"?event_type=open":                  {openPending.ID, openOK.ID},
		"?limit=1&cursor=" + clickFailed.ID: {openOK.ID},
		"?since=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339):  nil,
		"?until=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339): nil,
		"?since=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339): {openPending.ID, clickFailed.ID, openOK.ID},
	} {
		r := do(t, h, http.MethodGet, "/v1/webhooks/"+hook+"/deliveries"+query, nil)
		want(t, r, http.StatusOK)
		if !slices.Equal(r.ids(), wantIDs) {
			t.Errorf("deliveries%s = %v, want %v", query, r.ids(), wantIDs)
		}
	}
	for _, bad := range []string{"?status=lost", "?event_type=nope", "?since=yesterday"} {
		wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks/"+hook+"/deliveries"+bad, nil), http.StatusBadRequest)
	}
	first := list.items()[0]
	if first["event_type"] != "open" || first["next_attempt_at"] == nil || first["last_attempt_at"] == nil {
		t.Errorf("a pending delivery shows %v: want its event type, last and next attempt", first)
	}
	if done := list.items()[2]; done["next_attempt_at"] != nil || done["status"] != "succeeded" {
		t.Errorf("a succeeded delivery shows %v: no next attempt", done)
	}

	detail := do(t, h, http.MethodGet, "/v1/deliveries/"+openOK.ID, nil)
	want(t, detail, http.StatusOK)
	log, _ := detail.Body["attempt_log"].([]any)
	var codes []float64
	for _, raw := range log {
		att, _ := raw.(map[string]any)
		code, _ := att["status_code"].(float64)
		codes = append(codes, code)
		if att["started_at"] == nil || att["latency_ms"] == nil {
			t.Errorf("attempt %v lacks its start or latency", att)
		}
	}
	if !slices.Equal(codes, []float64{503, 503, 200}) || detail.Body["attempts"] != float64(3) {
		t.Errorf("delivery detail %s: want attempts 503, 503, 200", detail.Raw)
	}

	ev := do(t, h, http.MethodGet, "/v1/events/"+openOK.EventID, nil)
	want(t, ev, http.StatusOK)
	ds, _ := ev.Body["deliveries"].([]any)
	if ev.str("type") != "open" || len(ds) != 1 {
		t.Errorf("event detail %s: want the open with its one delivery", ev.Raw)
	}
}

func TestWebhookStats(t *testing.T) {
	var store *models.Store
	h := newServer(t, keepStore(&store), allowPrivate)
	a := createAudience(t, h)
	msg := mustCreate(t, h, "/v1/messages", map[string]any{"profile_id": a.Profile})
	hook := mustCreate(t, h, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"open"}})
	event := func() string {
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg})
		want(t, r, http.StatusAccepted)
		return r.str("id")
	}
	recordedDelivery(t, store, event(), hook, models.DeliverySucceeded, 503, 200) // latencies 10, 20
	recordedDelivery(t, store, event(), hook, models.DeliverySucceeded, 200)      // 10
	recordedDelivery(t, store, event(), hook, models.DeliveryFailed, 404)         // 10
	recordedDelivery(t, store, event(), hook, models.DeliveryPending, 0)          // 10

	r := do(t, h, http.MethodGet, "/v1/webhooks/"+hook+"/stats", nil)
	want(t, r, http.StatusOK)
	deliveries, _ := r.Body["deliveries"].(map[string]any)
	latency, _ := r.Body["attempt_latency_ms"].(map[string]any)
	if r.Body["attempts"] != float64(5) || deliveries["succeeded"] != float64(2) || deliveries["failed"] != float64(1) ||
		deliveries["pending"] != float64(1) || r.Body["backlog"] != float64(1) {
		t.Errorf("stats %s: want 5 attempts, 2 succeeded, 1 failed, 1 pending, backlog 1", r.Raw)
	}
	if rate, _ := r.Body["success_rate"].(float64); rate < 0.66 || rate > 0.67 {
		t.Errorf("success rate %v, want 2/3", r.Body["success_rate"])
	}
	if latency["p50"] != float64(10) || latency["p99"] != float64(20) {
		t.Errorf("attempt latency %v, want p50 10, p99 20", latency)
	}
	if age, _ := r.Body["oldest_undelivered_age_s"].(float64); age < 0 || age > 60 || r.Body["lag_ms"] == nil {
		t.Errorf("oldest undelivered %v s, lag %v: want a fresh pending delivery and a lag", r.Body["oldest_undelivered_age_s"], r.Body["lag_ms"])
	}
	later := do(t, h, http.MethodGet, "/v1/webhooks/"+hook+"/stats?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), nil)
	if later.Body["attempts"] != float64(0) || later.Body["success_rate"] != nil || later.Body["backlog"] != float64(1) {
		t.Errorf("stats since a future time %s: want no attempts, no rate, the backlog still 1", later.Raw)
	}
}
