package server_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// TestWebhookBatchSettings: batch settings are set at create (defaults for
// a part left out) and by PATCH with If-Match like every field, cleared
// with null; ranges, and a form-encoded webhook, are refused with 422
// problems naming the field; another account's webhook is 404.
func TestWebhookBatchSettings(t *testing.T) {
	t.Parallel()
	h := newServer(t)

	r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "batch": map[string]any{"max_events": 50}})
	want(t, r, http.StatusCreated)
	id := r.str("id")
	if b, _ := r.Body["batch"].(map[string]any); b["max_events"] != 50.0 || b["max_wait_ms"] != 1000.0 {
		t.Fatalf("created with batch %v, want max_events 50 and the default max_wait_ms 1000: %s", r.Body["batch"], r.Raw)
	}
	plain := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}})
	want(t, plain, http.StatusCreated)
	if plain.Body["batch"] != nil {
		t.Fatalf("a webhook created without batch has batch %v, want null", plain.Body["batch"])
	}

	path := "/v1/webhooks/" + id
	got := do(t, h, http.MethodGet, path, nil)
	tag := etagOf(t, got)
	r = do(t, h, http.MethodPatch, path, map[string]any{"batch": map[string]any{"max_events": 1000, "max_wait_ms": 0}}, ifMatchHeader(tag))
	want(t, r, http.StatusOK)
	if b, _ := r.Body["batch"].(map[string]any); b["max_events"] != 1000.0 || b["max_wait_ms"] != 0.0 {
		t.Fatalf("PATCH answered batch %v", r.Body["batch"])
	}
	wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"batch": nil}, ifMatchHeader(tag)), http.StatusPreconditionFailed)
	if r = do(t, h, http.MethodPatch, path, map[string]any{"description": "other"}); r.Body["batch"] == nil {
		t.Fatalf("a PATCH of another field cleared batch: %s", r.Raw)
	}
	r = do(t, h, http.MethodPatch, path, map[string]any{"batch": nil}, ifMatchHeader(etagOf(t, r)))
	want(t, r, http.StatusOK)
	if r.Body["batch"] != nil {
		t.Fatalf("batch null left %v", r.Body["batch"])
	}

	for _, bad := range []struct {
		batch any
		field string
	}{
		{map[string]any{"max_events": 0}, "batch.max_events"},
		{map[string]any{"max_events": 1001}, "batch.max_events"},
		{map[string]any{"max_events": 2.5}, "batch.max_events"},
		{map[string]any{"max_wait_ms": -1}, "batch.max_wait_ms"},
		{map[string]any{"max_wait_ms": 60001}, "batch.max_wait_ms"},
	} {
		wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"batch": bad.batch}), http.StatusUnprocessableEntity, bad.field)
		wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "batch": bad.batch}),
			http.StatusUnprocessableEntity, bad.field)
	}
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "format": "form", "batch": map[string]any{}}),
		http.StatusUnprocessableEntity, "batch")
	form := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "format": "form"})
	want(t, form, http.StatusCreated)
	wantProblem(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+form.str("id"), map[string]any{"batch": map[string]any{}}), http.StatusUnprocessableEntity, "batch")
	want(t, do(t, h, http.MethodPatch, path, map[string]any{"batch": map[string]any{}}), http.StatusOK)
	wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"format": "form"}), http.StatusUnprocessableEntity, "batch")
	if r = do(t, h, http.MethodGet, path, nil); r.Body["format"] != "json" || r.Body["batch"] == nil {
		t.Fatalf("a refused PATCH changed the webhook: %s", r.Raw)
	}

	_, keyB := newAccountWithKey(t, h, "Beta")
	wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"batch": nil}, asKey(keyB)), http.StatusNotFound)
	if r = do(t, h, http.MethodGet, path, nil); r.Body["batch"] == nil {
		t.Fatalf("another account's PATCH changed the webhook: %s", r.Raw)
	}
}

// TestEventsForABatchedWebhookStartNoWorkflow: events that only an active
// batched webhook wants are stored in its outbox and start no delivery
// workflow; PATCHing batch settings onto an active webhook starts its
// batching workflow; the delivery log shows a batch with its events.
func TestEventsForABatchedWebhookStartNoWorkflow(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile).str("id")
	id := createWebhook(t, h, []string{"open"}, nil)
	clicks := createWebhook(t, h, []string{"click"}, nil) // unbatched
	since := models.Now().Add(-time.Minute)
	if err := store.DB(t.Context()).Model(&models.Webhook{}).Where("id IN ?", []string{id, clicks}).
		Updates(map[string]any{"status": models.WebhookActive, "active_since": since}).Error; err != nil {
		t.Fatal(err)
	}
	want(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"batch": map[string]any{"max_events": 10}}), http.StatusOK)
	if calls := wf.recorded(); !slices.Equal(calls.Batchings, []string{id}) {
		t.Fatalf("batching workflows started: %v, want %s's", calls.Batchings, id)
	}

	time.Sleep(200 * time.Millisecond) // the dispatcher works in the background
	before := len(wf.recorded().DeliveryAttempts)
	r := do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{
		{"type": "open", "message_id": msg}, {"type": "open", "message_id": msg}, {"type": "click", "message_id": msg},
	}})
	want(t, r, http.StatusAccepted)
	want(t, do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg}), http.StatusAccepted)
	items, err := store.WaitingBatchItems(t.Context(), id, 10)
	if err != nil || len(items) != 3 {
		t.Fatalf("%d events wait for the batch (err %v), want the 3 opens", len(items), err)
	}
	time.Sleep(200 * time.Millisecond) // the dispatcher works in the background
	calls := wf.recorded()
	if started := calls.DeliveryAttempts[before:]; len(started) != 1 {
		t.Fatalf("delivery workflows asked for %v, want only the click's (its webhook is unbatched)", started)
	}

	d, err := store.CreateBatchDelivery(t.Context(), &models.Webhook{ID: id, Owned: models.Owned{AccountID: models.DefaultAccountID}}, items)
	if err != nil {
		t.Fatal(err)
	}
	detail := do(t, h, http.MethodGet, "/v1/deliveries/"+d.ID, nil)
	want(t, detail, http.StatusOK)
	events, _ := detail.Body["events"].([]any)
	if detail.Body["event_type"] != "batch" || detail.Body["event_count"] != 3.0 || len(events) != 3 || events[0] != items[0].EventID {
		t.Fatalf("batch delivery detail %s, want type batch, 3 events in order", detail.Raw)
	}
	list := do(t, h, http.MethodGet, "/v1/webhooks/"+id+"/deliveries?event_type=batch", nil)
	want(t, list, http.StatusOK)
	if ids := list.ids(); !slices.Equal(ids, []string{d.ID}) {
		t.Fatalf("the delivery log filtered on batch lists %v, want %s", ids, d.ID)
	}
}
