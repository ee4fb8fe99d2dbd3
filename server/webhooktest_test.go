package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

func (w *workflowsDouble) TestWebhook(ctx context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error) {
	w.mu.Lock()
	w.calls.Tests = append(w.calls.Tests, in)
	fn := w.testWebhook
	w.mu.Unlock()
	if fn == nil {
		return activities.WebhookTestResult{}, errors.New("workflowsDouble: TestWebhook not configured")
	}
	return fn(ctx, in)
}

func (w *workflowsDouble) CheckWebhooks(ctx context.Context, accountID string) ([]activities.WebhookCheck, error) {
	w.mu.Lock()
	w.calls.Checks = append(w.calls.Checks, accountID)
	fn := w.checkWebhooks
	w.mu.Unlock()
	if fn == nil {
		return nil, errors.New("workflowsDouble: CheckWebhooks not configured")
	}
	return fn(ctx, accountID)
}

// answeringTests makes TestWebhook answer what a receiver that says
// "thanks" would, for a request whose body names the event type.
func answeringTests(wf *workflowsDouble) {
	wf.mu.Lock()
	defer wf.mu.Unlock()
	wf.testWebhook = func(_ context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error) {
		return activities.WebhookTestResult{
			OK:       true,
			Request:  activities.TestRequest{URL: publicHook, Headers: map[string]string{"Webhook-Id": in.TestID}, Body: `{"type":"` + string(in.EventType) + `","test":true}`},
			Response: &activities.TestResponse{Status: 200, LatencyMS: 7, Excerpt: "thanks"},
		}, nil
	}
}

func TestTestingToolSendsThroughTheWorker(t *testing.T) {
	var store *models.Store
	wf := &workflowsDouble{}
	answeringTests(wf)
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	id := createWebhook(t, h, []string{"click", "open"}, nil)
	markVerified(t, store, id)

	r := do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/test", map[string]any{"event_type": "bounce"})
	want(t, r, http.StatusOK)
	if r.Body["ok"] != true || !strings.Contains(string(r.Raw), `"excerpt":"thanks"`) || !strings.Contains(string(r.Raw), `"error":null`) {
		t.Errorf("answer %s: want the worker's result as is", r.Raw)
	}
	// Without a body, or with an empty one, the first type it subscribes to.
	want(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/test", nil), http.StatusOK)
	want(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/test", map[string]any{}), http.StatusOK)

	tests := wf.recorded().Tests
	if len(tests) != 3 {
		t.Fatalf("%d tests ran, want 3", len(tests))
	}
	for i, wantType := range []models.EventType{models.EventBounce, models.EventClick, models.EventClick} {
		in := tests[i]
		if in.AccountID != models.DefaultAccountID || in.WebhookID != id || in.EventType != wantType || !models.HasPrefix(in.TestID, models.PrefixTest) {
			t.Errorf("test %d ran with %+v, want the default account, webhook %s, %s and a test id", i, in, id, wantType)
		}
	}
	if tests[0].TestID == tests[1].TestID {
		t.Error("two tests share a test id")
	}
}

func TestTestingToolRefusesWhatItCannotSend(t *testing.T) {
	var store *models.Store
	wf := &workflowsDouble{}
	answeringTests(wf)
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	unverified := createWebhook(t, h, []string{"open"}, nil)
	verified := createWebhook(t, h, []string{"open"}, nil)
	markVerified(t, store, verified)

	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+unverified+"/test", map[string]any{"event_type": "open"}), http.StatusConflict)
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+verified+"/test", map[string]any{"event_type": "opened"}), http.StatusUnprocessableEntity, "event_type")
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+verified+"/test", map[string]any{"event_type": 1}), http.StatusBadRequest, "event_type")
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+verified+"/test", `{"colour":"red"}`), http.StatusBadRequest, "colour")
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/wh_unknown/test", nil), http.StatusNotFound)
	if n := len(wf.recorded().Tests); n != 0 {
		t.Errorf("%d tests ran, want none", n)
	}

	// The worker's own refusals, for a webhook that changed meanwhile, and Temporal's absence.
	for err, status := range map[error]int{
		fmt.Errorf("%w (URL changed)", models.ErrWebhookUnverified): http.StatusConflict,
		fmt.Errorf("%w: webhook gone", models.ErrNotFound):          http.StatusNotFound,
		errors.New("context deadline exceeded"):                     http.StatusServiceUnavailable,
	} {
		wf.mu.Lock()
		wf.testWebhook = func(context.Context, activities.WebhookTestInput) (activities.WebhookTestResult, error) {
			return activities.WebhookTestResult{}, err
		}
		wf.mu.Unlock()
		wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+verified+"/test", nil), status)
	}
	withoutTemporal := newServer(t, withStore(store))
	wantProblem(t, do(t, withoutTemporal, http.MethodPost, "/v1/webhooks/"+verified+"/test", nil), http.StatusServiceUnavailable)
}

func TestCheckNowChecksTheAccountsActiveWebhooks(t *testing.T) {
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	_, betaKey := newAccountWithKey(t, h, "Beta")

	// Nothing active: answered at once, without the worker.
	createWebhook(t, h, []string{"open"}, nil) // unverified
	r := do(t, h, http.MethodPost, "/v1/webhooks/check", nil)
	want(t, r, http.StatusOK)
	if string(r.Raw) != `{"results":[],"not_checked":0}` {
		t.Errorf("answer %s, want no results", r.Raw)
	}

	id := createWebhook(t, h, []string{"open"}, nil)
	markVerified(t, store, id)
	enforced, status, latency := true, 204, int64(3)
	wf.mu.Lock()
	wf.checkWebhooks = func(_ context.Context, accountID string) ([]activities.WebhookCheck, error) {
		return []activities.WebhookCheck{{WebhookID: id, URL: publicHook, EventType: models.EventOpen, OK: true, Status: &status, LatencyMS: &latency, SignatureEnforced: &enforced}}, nil
	}
	wf.mu.Unlock()
	r = do(t, h, http.MethodPost, "/v1/webhooks/check", nil)
	want(t, r, http.StatusOK)
	results, _ := r.Body["results"].([]any)
	if len(results) != 1 || !strings.Contains(string(r.Raw), `"signature_enforced":true`) || !strings.Contains(string(r.Raw), `"webhook_id":"`+id+`"`) ||
		r.Body["not_checked"] != 0.0 {
		t.Errorf("answer %s: want the worker's one result", r.Raw)
	}

	// Another account has no active webhooks: its check shows nothing of ours.
	beta := do(t, h, http.MethodPost, "/v1/webhooks/check", nil, asKey(betaKey))
	want(t, beta, http.StatusOK)
	if strings.Contains(string(beta.Raw), id) {
		t.Errorf("another account's check shows %s: %s", id, beta.Raw)
	}
	if checks := wf.recorded().Checks; len(checks) != 1 || checks[0] != models.DefaultAccountID {
		t.Errorf("checks ran for %v, want once for the default account", checks)
	}

	wf.mu.Lock()
	wf.checkWebhooks = nil // fails
	wf.mu.Unlock()
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/check", nil), http.StatusServiceUnavailable)
	wantProblem(t, do(t, newServer(t, withStore(store)), http.MethodPost, "/v1/webhooks/check", nil), http.StatusServiceUnavailable)
}

// TestCheckNowCountsTheWebhooksPastItsLimit: a check tests the first
// activities.MaxCheckedWebhooks active webhooks; the answer counts the
// rest, so that the results stay small enough for Temporal's payloads.
func TestCheckNowCountsTheWebhooksPastItsLimit(t *testing.T) {
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	for range activities.MaxCheckedWebhooks + 3 {
		markVerified(t, store, createWebhook(t, h, []string{"open"}, nil))
	}
	wf.mu.Lock()
	wf.checkWebhooks = func(context.Context, string) ([]activities.WebhookCheck, error) {
		return []activities.WebhookCheck{{WebhookID: "wh_first", URL: publicHook, EventType: models.EventOpen, OK: true}}, nil
	}
	wf.mu.Unlock()
	r := do(t, h, http.MethodPost, "/v1/webhooks/check", nil)
	want(t, r, http.StatusOK)
	if r.Body["not_checked"] != 3.0 {
		t.Errorf("answer %s: want not_checked 3", r.Raw)
	}
}
