package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// TestWebhookLifecycleRoutes moves a webhook through pause, resume and
// enable: each answers the webhook with its ETag, honours If-Match, says
// with 409 why a move is not allowed, and every move to active releases
// the webhook's held deliveries.
func TestWebhookLifecycleRoutes(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	id := createWebhook(t, h, []string{"open"}, nil)
	path := "/v1/webhooks/" + id

	r := do(t, h, http.MethodPost, path+"/pause", nil)
	wantProblem(t, r, http.StatusConflict)
	if detail := r.str("detail"); !strings.Contains(detail, "not verified") {
		t.Errorf("pausing an unverified webhook: %q, want it to say the URL is not verified", detail)
	}
	markVerified(t, store, id)

	r = do(t, h, http.MethodPost, path+"/pause", nil)
	want(t, r, http.StatusOK)
	if r.str("status") != "paused" || r.str("active_since") == "" || r.Header.Get("ETag") == "" {
		t.Errorf("pause answered %s (ETag %q)", r.Raw, r.Header.Get("ETag"))
	}
	paused := r.Header.Get("ETag")
	if got := do(t, h, http.MethodGet, path, nil); got.Header.Get("ETag") != paused {
		t.Errorf("GET ETag %q, pause answered %q", got.Header.Get("ETag"), paused)
	}
	r = do(t, h, http.MethodPost, path+"/pause", nil)
	wantProblem(t, r, http.StatusConflict)
	if detail := r.str("detail"); !strings.Contains(detail, "paused already") {
		t.Errorf("pausing a paused webhook: %q", detail)
	}
	wantProblem(t, do(t, h, http.MethodPost, path+"/enable", nil), http.StatusConflict)
	if len(wf.recorded().Releases) != 0 {
		t.Errorf("released %v before any move to active", wf.recorded().Releases)
	}

	wantProblem(t, do(t, h, http.MethodPost, path+"/resume", nil, ifMatchHeader(`"1"`)), http.StatusPreconditionFailed)
	r = do(t, h, http.MethodPost, path+"/resume", nil, ifMatchHeader(paused))
	want(t, r, http.StatusOK)
	if r.str("status") != "active" {
		t.Errorf("resume answered %s", r.Raw)
	}
	if got := wf.recorded().Releases; !slices.Equal(got, []string{id}) {
		t.Errorf("releases %v after resume, want [%s]", got, id)
	}
	wantProblem(t, do(t, h, http.MethodPost, path+"/resume", nil), http.StatusConflict)

	watcher := createWebhook(t, h, []string{"webhook.recovered"}, nil)
	markVerified(t, store, watcher)
	want(t, do(t, h, http.MethodPatch, path, map[string]any{"status": "disabled"}), http.StatusOK)
	r = do(t, h, http.MethodPost, path+"/enable", nil)
	want(t, r, http.StatusOK)
	if r.str("status") != "active" || r.Body["disabled_by"] != nil || r.Body["disabled_reason"] != nil {
		t.Errorf("enable answered %s", r.Raw)
	}
	// Enabled by hand, the webhook's recovery is announced to the watcher.
	var announced []models.Event
	if err := store.DB(t.Context()).Where("type = ? AND subject_webhook_id = ?", models.EventWebhookRecovered, id).Find(&announced).Error; err != nil {
		t.Fatal(err)
	}
	if len(announced) != 1 || announced[0].Data["released"] == nil {
		t.Errorf("webhook.recovered events %+v, want one saying how many were released", announced)
	}
	want(t, do(t, h, http.MethodPatch, path, map[string]any{"status": "paused"}), http.StatusOK)
	want(t, do(t, h, http.MethodPatch, path, map[string]any{"status": "active"}), http.StatusOK)
	if got := wf.recorded().Releases; len(got) != 3 {
		t.Errorf("releases %v, want one per move to active (resume, enable, PATCH active)", got)
	}

	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/wh_unknown/pause", nil), http.StatusNotFound)
}
