package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/workflows"
)

// The testing tool's answer is what the receiver got: the same body and
// headers, signed as a delivery is (the official library verifies it with
// the webhook's secret), with a test_ webhook-id, and it is not recorded
// as a delivery. Nothing is sent to an unverified webhook, and another
// account's webhook is unknown.
func TestTestingToolAnswersWhatTheReceiverGot(t *testing.T) {
	s := startSystem(t)
	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "open", "click")

	var res activities.WebhookTestResult
	start := time.Now()
	s.call("POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{"event_type": "click"}, http.StatusOK, &res)
	t.Logf("a test through the API, Temporal and the worker took %v", time.Since(start))
	got := rc.next()

	require.True(t, res.OK, "answer %+v", res)
	require.Nil(t, res.Error)
	require.Equal(t, http.StatusOK, res.Response.Status)
	require.Equal(t, rc.URL+"/hooks/handler.php", res.Request.URL)
	require.Equal(t, res.Request.Body, string(got.Body), "the answer's body is what arrived")
	for name, value := range res.Request.Headers {
		require.Equal(t, value, got.Headers.Get(name), "header %s", name)
	}
	secretHolder, err := standardwebhooks.NewWebhook(wh.Secret)
	require.NoError(t, err)
	require.NoError(t, secretHolder.Verify(got.Body, got.Headers), "the signature verifies with the official library and the webhook's secret")
	testID := got.Headers.Get("webhook-id")
	require.True(t, models.HasPrefix(testID, models.PrefixTest), "webhook-id %q", testID)
	require.Equal(t, "click", got.Headers.Get(activities.HeaderEventType))
	require.Equal(t, wh.ID, got.Headers.Get(activities.HeaderWebhookID))
	require.Equal(t, "hookflow/e2e", got.Headers.Get("User-Agent"))
	require.Equal(t, true, got.Payload["test"])
	require.Equal(t, "click", got.Payload["type"])
	require.Equal(t, testID, got.Payload["id"])
	require.NotEmpty(t, got.Payload["url"], "a click names its link")

	// The default event type is the first the webhook subscribes to.
	s.call("POST", "/v1/webhooks/"+wh.ID+"/test", nil, http.StatusOK, &res)
	require.Equal(t, "open", rc.next().Payload["type"])

	var deliveries struct{ Items []any }
	s.call("GET", "/v1/webhooks/"+wh.ID+"/deliveries", nil, http.StatusOK, &deliveries)
	require.Empty(t, deliveries.Items, "tests are not deliveries")
	s.reportTestHistory(workflows.WebhookTestWorkflowID(testID), "webhook-test")

	// Verification comes first: nothing is sent to an unproven server.
	unproven := newReceiver(t)
	var created webhookCreated
	s.call("POST", "/v1/webhooks", map[string]any{"url": unproven.URL + "/hook", "events": []string{"open"}}, http.StatusCreated, &created)
	var problem server.Problem
	s.call("POST", "/v1/webhooks/"+created.ID+"/test", map[string]any{"event_type": "open"}, http.StatusConflict, &problem)
	require.Contains(t, problem.Detail, "not verified")

	// Another account does not see the webhook.
	key := s.accountKey("Beta")
	status, body := s.requestAs(key, "POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{"event_type": "open"})
	require.Equal(t, http.StatusNotFound, status, "%s", body)
	require.Empty(t, unproven.received())
	require.Len(t, rc.received(), 2, "the two tests and nothing else arrived")
}

// Check now tests every active webhook of the account and flags a
// receiver that accepts forged requests; one that verifies signatures and
// rejects stale timestamps passes.
func TestCheckNowFlagsReceiversThatAcceptForgedSignatures(t *testing.T) {
	s := startSystem(t)
	careless := newReceiver(t)
	careless.acceptsAnything = true
	careful := newReceiver(t)
	careful.forgeriesExpected = true
	careful.delay = 500 * time.Millisecond // long enough for a second check to join the first
	carelessHook := s.registerWebhook(careless, "delivery")
	carefulHook := s.registerWebhook(careful, "open", "click")
	var paused map[string]any
	pausedReceiver := newReceiver(t)
	pausedHook := s.registerWebhook(pausedReceiver, "open")
	s.call("PATCH", "/v1/webhooks/"+pausedHook.ID, map[string]any{"status": "paused"}, http.StatusOK, &paused)

	// Two at once: the second joins the first's run, so nothing is sent twice.
	var checks, joined struct{ Results []activities.WebhookCheck }
	start := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { s.call("POST", "/v1/webhooks/check", nil, http.StatusOK, &checks) })
	time.Sleep(100 * time.Millisecond)
	wg.Go(func() { s.call("POST", "/v1/webhooks/check", nil, http.StatusOK, &joined) })
	wg.Wait()
	t.Logf("a check of 2 webhooks (one answering in 0.5 s) through the API, Temporal and the worker took %v", time.Since(start))
	require.Equal(t, checks, joined)

	require.Len(t, checks.Results, 2, "the active webhooks, not the paused one: %+v", checks.Results)
	byID := map[string]activities.WebhookCheck{}
	for _, c := range checks.Results {
		byID[c.WebhookID] = c
	}
	c := byID[carelessHook.ID]
	require.True(t, c.OK)
	require.Equal(t, 200, *c.Status)
	require.NotNil(t, c.SignatureEnforced)
	require.False(t, *c.SignatureEnforced, "a receiver that answers 2xx to forged requests is flagged")
	require.ElementsMatch(t, []string{activities.ForgeryWrongSignature, activities.ForgeryStaleTimestamp}, c.AcceptedForgeries)
	require.Equal(t, models.EventDelivery, c.EventType)

	c = byID[carefulHook.ID]
	require.True(t, c.OK)
	require.Equal(t, careful.URL+"/hooks/handler.php", c.URL)
	require.NotNil(t, c.SignatureEnforced)
	require.True(t, *c.SignatureEnforced, "a receiver that verifies signatures and timestamps passes")
	require.Empty(t, c.AcceptedForgeries)

	var statuses []int
	for _, r := range careful.received() {
		statuses = append(statuses, r.Status)
		require.True(t, models.HasPrefix(r.Headers.Get("webhook-id"), models.PrefixTest))
		var p map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &p))
		require.Equal(t, true, p["test"], "every request of a check is marked test")
	}
	require.ElementsMatch(t, []int{200, 401, 401}, statuses, "one genuine test, two forgeries refused")
	require.Empty(t, pausedReceiver.received())
	s.reportTestHistory(workflows.WebhookCheckWorkflowID(models.DefaultAccountID), "webhook-check")

	// Another account has no active webhooks: its check shows none of ours.
	status, body := s.requestAs(s.accountKey("Beta"), "POST", "/v1/webhooks/check", nil)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"results":[],"not_checked":0}`, string(body))
}

// accountKey creates an account and returns an API key of it.
func (s *system) accountKey(name string) string {
	s.t.Helper()
	var account, key map[string]any
	s.call("POST", "/v1/accounts", map[string]any{"name": name}, http.StatusCreated, &account)
	s.call("POST", "/v1/accounts/"+account["id"].(string)+"/keys", map[string]any{"name": "e2e"}, http.StatusCreated, &key)
	return key["key"].(string)
}

// reportTestHistory logs what a test or a check cost in history events
// (recording it for the replay test with HOOKFLOW_RECORD_HISTORY).
func (s *system) reportTestHistory(workflowID, name string) {
	s.t.Helper()
	kinds := eventKinds(s.history(workflowID, name))
	s.t.Logf("%s costs %d history events: %s", name, len(kinds), strings.Join(kinds, ", "))
}

// BenchmarkWebhookTest measures the testing tool end to end: the API runs
// the workflow, the worker signs and sends, the receiver verifies, and the
// answer comes back. One op is one test.
func BenchmarkWebhookTest(b *testing.B) {
	s := startSystem(b)
	rc := newReceiver(b)
	rc.arrived = make(chan receivedRequest, 100_000)
	wh := s.registerWebhook(rc, "open")
	for b.Loop() {
		var res activities.WebhookTestResult
		s.call("POST", "/v1/webhooks/"+wh.ID+"/test", nil, http.StatusOK, &res)
		if !res.OK {
			b.Fatalf("test failed: %+v", res)
		}
	}
}

// BenchmarkCheckNow measures Check now of 20 active webhooks whose
// receivers verify signatures: one op is one check, 60 requests.
func BenchmarkCheckNow(b *testing.B) {
	s := startSystem(b)
	const webhooks = 20
	for range webhooks {
		rc := newReceiver(b)
		rc.forgeriesExpected = true
		rc.arrived = make(chan receivedRequest, 100_000)
		s.registerWebhook(rc, "open")
	}
	for b.Loop() {
		var checks struct{ Results []activities.WebhookCheck }
		s.call("POST", "/v1/webhooks/check", nil, http.StatusOK, &checks)
		if len(checks.Results) != webhooks {
			b.Fatalf("%d results, want %d", len(checks.Results), webhooks)
		}
		for _, c := range checks.Results {
			if !c.OK || c.SignatureEnforced == nil || !*c.SignatureEnforced {
				b.Fatalf("check %+v: want ok and signatures enforced", c)
			}
		}
	}
}
