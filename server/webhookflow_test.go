package server_test

import (
	"net/http"
	"testing"
)

func TestWebhookFlowLimits(t *testing.T) {
	t.Parallel()
	h := newServer(t)

	r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}})
	want(t, r, http.StatusCreated)
	id := r.str("id")
	flow, _ := r.Body["flow"].(map[string]any)
	if r.Body["max_rps"] != nil || r.Body["max_in_flight"] != 10.0 || flow == nil || flow["effective_rps"] != nil || flow["in_flight"] != 0.0 {
		t.Fatalf("a new webhook is not unlimited, 10 at once: %s", r.Raw)
	}

	r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"max_rps": 2.5, "max_in_flight": 3})
	want(t, r, http.StatusOK)
	flow, _ = r.Body["flow"].(map[string]any)
	if r.Body["max_rps"] != 2.5 || r.Body["max_in_flight"] != 3.0 || flow["effective_rps"] != 2.5 {
		t.Fatalf("PATCH of the limits answered %s", r.Raw)
	}
	r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"description": "only this"})
	want(t, r, http.StatusOK)
	if r.Body["max_rps"] != 2.5 || r.Body["max_in_flight"] != 3.0 {
		t.Fatalf("a PATCH of another field changed the limits: %s", r.Raw)
	}
	r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"max_rps": nil})
	want(t, r, http.StatusOK)
	if r.Body["max_rps"] != nil || r.Body["max_in_flight"] != 3.0 {
		t.Fatalf("max_rps null did not make it unlimited: %s", r.Raw)
	}

	list := do(t, h, http.MethodGet, "/v1/webhooks", nil)
	want(t, list, http.StatusOK)
	if items, _ := list.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["flow"] == nil {
		t.Fatalf("the list does not show the flow: %s", list.Raw)
	}

	for _, bad := range []map[string]any{
		{"max_rps": 0}, {"max_rps": -1}, {"max_rps": 10001},
		{"max_in_flight": 0}, {"max_in_flight": 1001}, {"max_in_flight": 2.5},
	} {
		for field := range bad {
			wantProblem(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, bad), http.StatusUnprocessableEntity, field)
			create := map[string]any{"url": publicHook, "events": []string{"open"}, field: bad[field]}
			wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks", create), http.StatusUnprocessableEntity, field)
		}
	}
}
