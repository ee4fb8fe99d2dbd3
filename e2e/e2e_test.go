// Package e2e runs hookflow end to end: a real in-process Temporal server,
// the worker, the API server over a real database, and httptest receivers
// that verify every signature the way a customer would.
package e2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/console"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/tracking"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

const (
	apiToken  = "e2e-token"
	taskQueue = "hookflow-e2e"
)

// system is one running hookflow: Temporal, worker, API.
type system struct {
	t        testing.TB
	api      *httptest.Server
	store    *models.Store
	outage   *modelstest.Outage // nil unless started with systemOptions.outage
	temporal client.Client
	ns       string
	// worker is the running worker; newWorker makes another, as a
	// restarted worker process would. Nil with systemOptions.onlyWorkerProcess.
	worker    sdkworker.Worker
	newWorker func() sdkworker.Worker
	// workerProcess is the worker process, if one was started;
	// startWorkerProcess starts another with workerProcessConfig.
	workerProcess       *testProcess
	workerProcessConfig workerProcessConfig
	// persistent is Temporal when started with systemOptions.persistentTemporal.
	persistent *persistentTemporal
	// account, when set, is the account the operator token acts in.
	account string
	// apiMetrics and workerMetrics are the registries of the API process
	// and of the worker process; nil unless started with
	// systemOptions.metrics.
	apiMetrics, workerMetrics *prometheus.Registry
}

// systemOptions change how a system is started.
type systemOptions struct {
	// settings are the worker's; a zero RequestTimeout is 5 s.
	settings activities.Settings
	// outage, when set, can cut the database off (for everyone: API and worker).
	outage bool
	// metrics gives the API and the worker a registry each, as their
	// processes have: the worker's holds its metrics, the backlog and the
	// Temporal SDK's metrics of its client.
	metrics bool
	// workerProcess starts a second worker as an OS process of its own
	// (startWorkerProcess), on the same Temporal, database and task queue.
	workerProcess bool
	// onlyWorkerProcess runs the worker only as an OS process (as
	// workerProcess), with no in-process worker: killing that process
	// (s.workerProcess.kill) leaves no worker at all.
	onlyWorkerProcess bool
	// persistentTemporal runs Temporal as hookflow dev does (devstack, its
	// state in a SQLite file, on a fixed port) instead of temporaltest's
	// in-memory server, so that s.restartTemporal can stop it and start it
	// again with its state.
	persistentTemporal bool
	// sweep, when set, replaces testSweep as the options of the API's
	// sweeper of undispatched events.
	sweep server.SweepOptions
}

func startSystem(t testing.TB) *system { return startSystemWith(t, systemOptions{}) }

func startSystemWith(t testing.TB, opts systemOptions) *system {
	var tc client.Client
	var ns, temporalAddr string
	var persistent *persistentTemporal
	if opts.persistentTemporal {
		persistent = startPersistentTemporal(t)
		tc, ns, temporalAddr = persistent.client, persistent.namespace, persistent.addr
	} else {
		ts := temporaltest.NewServer()
		t.Cleanup(ts.Stop)
		tc, ns, temporalAddr = ts.GetDefaultClient(), ts.GetDefaultNamespace(), ts.GetFrontendHostPort()
	}
	require.NoError(t, worker.EnsureSearchAttributes(t.Context(), tc, ns))

	var store *models.Store
	var outage *modelstest.Outage
	var dsn string
	switch {
	case opts.outage:
		require.False(t, opts.workerProcess || opts.onlyWorkerProcess, "an outage cuts only this process's database off")
		store, outage = modelstest.OpenWithOutage(t)
	default:
		dsn = modelstest.DSN(t)
		store = modelstest.OpenAt(t, dsn)
	}
	key, err := signing.GenerateKeyPair()
	require.NoError(t, err)
	network := netpolicy.Policy{AllowPrivate: true} // receivers are on loopback
	settings := opts.settings
	settings.RequestTimeout = cmp.Or(settings.RequestTimeout, 5*time.Second)
	workerClient := tc
	var apiMetrics, workerMetrics *prometheus.Registry
	var actMetrics *activities.Metrics
	if opts.metrics {
		apiMetrics, workerMetrics = telemetry.NewRegistry(), telemetry.NewRegistry()
		sdkMetrics, stopSDKMetrics := telemetry.TemporalMetrics(workerMetrics, slog.Default())
		t.Cleanup(func() { stopSDKMetrics.Close() })
		var err error
		workerClient, err = client.NewClientFromExisting(tc, client.Options{Namespace: ns, MetricsHandler: sdkMetrics})
		require.NoError(t, err)
		t.Cleanup(workerClient.Close)
		actMetrics = activities.NewMetrics(workerMetrics)
		workerMetrics.MustRegister(telemetry.NewBacklog(store))
	}
	newWorker := func() sdkworker.Worker {
		return worker.New(workerClient, taskQueue, &activities.Activities{
			Store:     store,
			HTTP:      network.NewHTTPClient(settings.RequestTimeout),
			Signer:    signing.Signer{Keys: &key},
			UserAgent: "hookflow/e2e",
			Settings:  settings,
			Metrics:   actMetrics,
		}, sdkworker.Options{})
	}
	var w sdkworker.Worker
	if !opts.onlyWorkerProcess {
		w = newWorker()
		require.NoError(t, w.Start())
	}
	processConfig := workerProcessConfig{TemporalAddress: temporalAddr, Namespace: ns,
		TaskQueue: taskQueue, DSN: dsn, SigningKey: key.SecretKeyString(), Settings: settings}
	var process *testProcess
	if opts.workerProcess || opts.onlyWorkerProcess {
		process = startWorkerProcess(t, processConfig)
	}

	api := httptest.NewServer(nil)
	t.Cleanup(api.Close)
	srv := server.New(server.Options{
		Store:       store,
		APIToken:    apiToken,
		PublicURL:   api.URL,
		Network:     network,
		Tracking:    tracking.NewTokens("e2e-tracking"),
		Workflows:   workflows.Starter{Client: tc, TaskQueue: taskQueue},
		SigningKeys: []signing.PublicKey{key.Public()},
		Metrics:     apiMetrics,
		Console:     console.New(console.Options{Store: store, TemporalUI: consoleTemporalUI, Namespace: ns}),
	})
	api.Config.Handler = srv.Handler()
	startSweeper(t, srv, cmp.Or(opts.sweep, testSweep))
	s := &system{t: t, api: api, store: store, outage: outage, temporal: tc, ns: ns, worker: w, newWorker: newWorker,
		workerProcess: process, workerProcessConfig: processConfig, persistent: persistent,
		apiMetrics: apiMetrics, workerMetrics: workerMetrics}
	t.Cleanup(func() {
		if s.worker != nil {
			s.worker.Stop()
		}
	})
	return s
}

// testSweep are the options of every system's sweeper. The sweeper runs
// as in the API process: an event whose workflow start failed or timed out
// (Temporal busy, as on a loaded CI machine) is started by it, not left
// until the reconciler. It sweeps every second what is 5 s old (the
// dispatcher's start takes at most 3 s), where production sweeps every
// 30 s what is a minute old, so that fault tests stay bounded.
var testSweep = server.SweepOptions{Every: time.Second, MinAge: 5 * time.Second, MaxBackoff: 2 * time.Second}

// startSweeper runs the API's sweeper until the test ends.
func startSweeper(t testing.TB, srv *server.Server, opts server.SweepOptions) {
	ctx, stop := context.WithCancel(context.Background())
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		srv.SweepUndispatched(ctx, opts)
	}()
	t.Cleanup(func() {
		stop()
		<-swept
	})
}

// startWorkerProcess starts a worker process, such as one in place of a
// killed one, with the system's settings; it becomes s.workerProcess.
func (s *system) startWorkerProcess() {
	s.t.Helper()
	s.workerProcess = startWorkerProcess(s.t, s.workerProcessConfig)
}

// call makes an API request and decodes the JSON answer into out.
func (s *system) call(method, path string, body any, wantStatus int, out any) {
	s.t.Helper()
	status, data := s.request(method, path, body)
	require.Equal(s.t, wantStatus, status, "%s %s answered %s", method, path, data)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(data, out))
	}
}

// request makes an API request and returns the status and body, whatever they are.
func (s *system) request(method, path string, body any) (int, []byte) {
	s.t.Helper()
	return s.requestAs(apiToken, method, path, body)
}

// requestAs is request with another bearer token, such as an account's key.
func (s *system) requestAs(token, method, path string, body any) (int, []byte) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.api.URL+path, r)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if s.account != "" {
		req.Header.Set(server.AccountHeader, s.account)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// receiver is a customer's endpoint: it serves the verification file and
// accepts webhooks only when both signatures verify.
type receiver struct {
	*httptest.Server
	t          testing.TB
	mu         sync.Mutex
	files      map[string]string // path -> content
	secret     string
	publicKey  string
	failFirst  int    // answer 503 to this many requests first
	retryAfter string // the Retry-After of those answers (default 1 s)
	// failFirstAttempts answers 500 to every delivery's first attempt: a
	// failure without Retry-After, which does not slow the webhook down.
	failFirstAttempts bool
	// answer, when set, decides the status of the n-th delivery (from 0)
	// instead; a 503 carries retryAfter.
	answer func(n int) int
	// delay is how long it takes to answer a delivery.
	delay    time.Duration
	requests []receivedRequest
	arrived  chan receivedRequest
	// concurrent counts the deliveries being answered now, and
	// mostConcurrent the most there were at once.
	concurrent, mostConcurrent atomic.Int64

	// forgeriesExpected answers a request whose signatures do not verify
	// 401 without failing the test (Check now sends such on purpose);
	// acceptsAnything answers 200 to every POST, verifying nothing.
	forgeriesExpected, acceptsAnything bool
}

type receivedRequest struct {
	Headers http.Header
	Body    []byte
	Payload map[string]any
	Status  int
	At      time.Time // when it arrived
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{t: t, files: map[string]string{}, arrived: make(chan receivedRequest, 100)}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		n := rc.concurrent.Add(1)
		defer rc.concurrent.Add(-1)
		for most := rc.mostConcurrent.Load(); n > most && !rc.mostConcurrent.CompareAndSwap(most, n); most = rc.mostConcurrent.Load() {
		}
		time.Sleep(rc.delay)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method == http.MethodGet {
		content, ok := rc.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, content)
		return
	}
	body, _ := io.ReadAll(r.Body)
	got := receivedRequest{Headers: r.Header.Clone(), Body: body, Status: http.StatusOK, At: time.Now()}
	if bad := rc.badSignature(body, r.Header); bad != "" {
		if !rc.forgeriesExpected {
			rc.t.Error(bad)
		}
		got.Status = http.StatusUnauthorized
		rc.requests = append(rc.requests, got)
		w.WriteHeader(got.Status)
		return
	}
	if err := json.Unmarshal(body, &got.Payload); err != nil {
		rc.t.Errorf("payload is not JSON: %s", body)
	}
	switch {
	case rc.answer != nil:
		got.Status = rc.answer(len(rc.requests))
	case len(rc.requests) < rc.failFirst:
		got.Status = http.StatusServiceUnavailable
	case rc.failFirstAttempts && r.Header.Get(activities.HeaderAttempt) == "1":
		got.Status = http.StatusInternalServerError
	}
	if got.Status == http.StatusServiceUnavailable || got.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", cmp.Or(rc.retryAfter, "1"))
	}
	rc.requests = append(rc.requests, got)
	w.WriteHeader(got.Status)
	if got.Status == http.StatusOK {
		rc.arrived <- got
	}
}

// badSignature says what is wrong with a request's signatures, if
// anything: v1 must verify with the Standard Webhooks library and v1a with
// the published key, both within the library's five minutes.
func (rc *receiver) badSignature(body []byte, h http.Header) string {
	if rc.acceptsAnything {
		return ""
	}
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err == nil {
		err = wh.Verify(body, h)
	}
	if err != nil {
		return fmt.Sprintf("v1 signature does not verify with the Standard Webhooks library: %v", err)
	}
	if err := signing.VerifyV1a(rc.publicKey, body, h); err != nil {
		return fmt.Sprintf("v1a signature does not verify with the published key: %v", err)
	}
	return ""
}

func (rc *receiver) serveFile(path, content string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.files[path] = content
}

func (rc *receiver) received() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.requests...)
}

// next waits for the next successful delivery.
func (rc *receiver) next() receivedRequest {
	rc.t.Helper()
	select {
	case r := <-rc.arrived:
		return r
	case <-time.After(60 * time.Second):
		rc.t.Fatal("no delivery arrived within 60 s")
		return receivedRequest{}
	}
}

type webhookCreated struct {
	ID           string `json:"id"`
	Secret       string `json:"secret"`
	Status       string `json:"status"`
	Verification struct {
		Filename string `json:"filename"`
		Content  string `json:"content"`
	} `json:"verification"`
}

// registerWebhook creates a webhook for rc, places its verification file
// beside the handler script and verifies it.
func (s *system) registerWebhook(rc *receiver, events ...string) webhookCreated {
	var wh webhookCreated
	s.call("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hooks/handler.php", "events": events}, http.StatusCreated, &wh)
	require.Equal(s.t, "unverified", wh.Status)
	var keys struct {
		Keys []signing.PublicKey `json:"keys"`
	}
	s.call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.secret, rc.publicKey = wh.Secret, keys.Keys[0].PublicKey

	var problem server.Problem
	s.call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusUnprocessableEntity, &problem)
	require.Len(s.t, problem.Errors, 2, "both locations are reported")
	require.Contains(s.t, problem.Errors[0].Reason, ": 404")

	rc.serveFile("/hooks/"+wh.Verification.Filename, wh.Verification.Content)
	var verified map[string]any
	s.call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusOK, &verified)
	require.Equal(s.t, "active", verified["status"])
	return wh
}

func TestEventsReachVerifiedWebhooksSignedAndEnriched(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(
		map[string]any{"email": "ann@example.com", "fields": map[string]any{"firstname": "Ann", "city": "Utrecht"}, "interests": []string{"cycling"}},
		map[string]any{"tags": []string{"spring-sale"}, "links": []map[string]any{{"url": "https://shop.example/bikes", "tags": []string{"bikes"}}}},
	)

	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "open", "click")

	// A person opens the mail and clicks the link.
	hit := func(url string) *http.Response {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("User-Agent", "Mozilla/5.0 (e2e)")
		req.Header.Set("Referer", "https://webmail.example/inbox")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	require.Equal(t, "image/gif", hit(message["open_url"].(string)).Header.Get("Content-Type"))
	click := hit(message["click_urls"].([]any)[0].(string))
	require.Equal(t, http.StatusFound, click.StatusCode)
	require.Equal(t, "https://shop.example/bikes", click.Header.Get("Location"))

	byType := map[string]receivedRequest{}
	for range 2 {
		r := rc.next()
		byType[r.Payload["type"].(string)] = r
	}
	for _, typ := range []string{"open", "click"} {
		r, ok := byType[typ]
		require.True(t, ok, "a %s event arrived", typ)
		p := r.Payload
		require.Equal(t, "ann@example.com", p["recipient"])
		require.Equal(t, "127.0.0.1", p["ip"])
		require.Equal(t, "Mozilla/5.0 (e2e)", p["useragent"])
		require.Equal(t, "https://webmail.example/inbox", p["referer"])
		require.Equal(t, message["id"], p["message"])
		prof := p["profile"].(map[string]any)
		require.Equal(t, "Ann", prof["fields"].(map[string]any)["firstname"])
		require.Equal(t, wh.ID, r.Headers.Get("Hookflow-Webhook-Id"))
		require.Equal(t, "hookflow/e2e", r.Headers.Get("User-Agent"))
	}
	require.Equal(t, "https://shop.example/bikes", byType["click"].Payload["url"])
	require.Contains(t, byType["click"].Payload["tags"], "bikes")
	require.Contains(t, byType["click"].Payload["tags"], "spring-sale")

	s.requireFindableByWebhook(wh.ID, 2)
	s.reportHistory(byType["open"].Payload["id"].(string))
}

func TestRetriesUntilTheReceiverRecoversAndDeduplicatesEvents(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "bob@example.com"}, map[string]any{})

	rc := newReceiver(t)
	rc.failFirst = 2
	wh := s.registerWebhook(rc, "delivery", "bounce")

	event := map[string]any{"id": "mta-queue-4711", "type": "delivery", "message_id": message["id"]}
	var first, again map[string]any
	s.call("POST", "/v1/events", event, http.StatusAccepted, &first)
	s.call("POST", "/v1/events", event, http.StatusAccepted, &again)
	require.Equal(t, first["id"], again["id"], "the same client id is the same event")

	delivered := rc.next()
	require.Equal(t, "delivery", delivered.Payload["type"])
	requests := rc.received()
	require.Len(t, requests, 3, "503, 503, then 200")
	for _, r := range requests {
		require.Equal(t, requests[0].Headers.Get("webhook-id"), r.Headers.Get("webhook-id"), "retries keep the webhook-id")
	}

	// The attempts are in the database, and the workflow is done: nothing more will come.
	s.history(workflows.DeliveryWorkflowID(first["id"].(string)), "delivery-retried-in-workflow")
	s.history(workflows.VerificationWorkflowID(wh.ID), "verification-verify-now-worker-window")
	var deliveries []models.Delivery
	require.NoError(t, s.store.DB(t.Context()).Where("webhook_id = ?", wh.ID).Find(&deliveries).Error)
	require.Len(t, deliveries, 1)
	require.Equal(t, models.DeliverySucceeded, deliveries[0].Status)
	var attempts []models.DeliveryAttempt
	require.NoError(t, s.store.DB(t.Context()).Where("delivery_id = ?", deliveries[0].ID).Order("number").Find(&attempts).Error)
	require.Len(t, attempts, 3)
	for i, want := range []int{503, 503, 200} {
		require.Equal(t, i+1, attempts[i].Number)
		require.Equal(t, want, attempts[i].StatusCode)
	}
	require.Len(t, rc.received(), 3, "the duplicate event caused no second delivery")
}

// sendMessage creates a database, a profile in it and a message to that
// profile, and returns the message with its tracking links.
func (s *system) sendMessage(profile, message map[string]any) map[string]any {
	s.t.Helper()
	var db, created, sent map[string]any
	s.call("POST", "/v1/databases", map[string]any{"name": "e2e"}, http.StatusCreated, &db)
	s.call("POST", "/v1/databases/"+db["id"].(string)+"/profiles", profile, http.StatusCreated, &created)
	message["profile_id"] = created["id"]
	s.call("POST", "/v1/messages", message, http.StatusCreated, &sent)
	return sent
}

// awaitWorkflow waits for a workflow to complete. The API starts delivery
// workflows in the background after answering, so it waits for the start too.
func (s *system) awaitWorkflow(id string) {
	s.t.Helper()
	require.Eventually(s.t, func() bool {
		_, err := s.temporal.DescribeWorkflowExecution(s.t.Context(), id, "")
		return err == nil
	}, 30*time.Second, 20*time.Millisecond, "workflow %s was never started", id)
	require.NoError(s.t, s.temporal.GetWorkflow(s.t.Context(), id, "").Get(s.t.Context(), nil))
}

// requireFindableByWebhook checks that the Web UI query WebhookId="wh_…"
// lists the webhook's deliveries, with the README's query for those that
// succeeded: a completed run without DeliveryStatus succeeded at its first
// attempts. WebhookId is set when the run starts, from the event's match
// when it was stored.
func (s *system) requireFindableByWebhook(webhookID string, want int) {
	s.t.Helper()
	query := fmt.Sprintf("WebhookId = %q AND ExecutionStatus = %q AND (DeliveryStatus IS NULL OR DeliveryStatus = %q)",
		webhookID, "Completed", workflows.StatusSucceeded)
	require.Eventually(s.t, func() bool {
		resp, err := s.temporal.ListWorkflow(s.t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.ns, Query: query})
		return err == nil && len(resp.GetExecutions()) == want
	}, 30*time.Second, 200*time.Millisecond, "visibility query %s", query)
}

// reportHistory logs how many history events a successful delivery cost.
func (s *system) reportHistory(eventID string) {
	s.t.Helper()
	kinds := eventKinds(s.history(workflows.DeliveryWorkflowID(eventID), "delivery-succeeded-matched-when-stored"))
	s.t.Logf("one successful delivery to one webhook costs %d history events: %s", len(kinds), strings.Join(kinds, ", "))
	require.LessOrEqual(s.t, len(kinds), 6)
}

// eventKinds lists the types of a history's events, like WORKFLOW_TASK_STARTED.
func eventKinds(h *historypb.History) []string {
	var kinds []string
	for _, e := range h.GetEvents() {
		kinds = append(kinds, strings.TrimPrefix(e.GetEventType().String(), "EVENT_TYPE_"))
	}
	return kinds
}

// history waits for a workflow to complete and returns its history. With
// HOOKFLOW_RECORD_HISTORY=dir it also writes it to dir/name.json, which is
// how workflows/testdata gets the histories its replay test replays.
func (s *system) history(workflowID, name string) *historypb.History {
	s.t.Helper()
	s.awaitWorkflow(workflowID)
	return s.closedHistory(workflowID, name)
}

// closedHistory is history for a workflow that has closed, however.
func (s *system) closedHistory(workflowID, name string) *historypb.History {
	s.t.Helper()
	resp, err := s.temporal.WorkflowService().GetWorkflowExecutionHistory(s.t.Context(), &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: s.ns, Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID}, HistoryEventFilterType: enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
	})
	require.NoError(s.t, err)
	if dir := os.Getenv("HOOKFLOW_RECORD_HISTORY"); dir != "" {
		data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(resp.GetHistory())
		require.NoError(s.t, err)
		require.NoError(s.t, os.WriteFile(filepath.Join(dir, name+".json"), data, 0o644))
	}
	return resp.GetHistory()
}

// A worker that dies between attempts loses nothing: the retry is a durable
// timer and activity in Temporal, and the next worker process picks it up.
func TestDeliverySurvivesAWorkerRestart(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "cy@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.failFirst, rc.retryAfter = 1, "3"
	s.registerWebhook(rc, "delivery")

	var event map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &event)
	require.Eventually(t, func() bool { return len(rc.received()) == 1 }, 30*time.Second, 10*time.Millisecond, "first attempt")

	s.worker.Stop() // the worker process dies with the retry 3 s away
	time.Sleep(4 * time.Second)
	require.Len(t, rc.received(), 1, "nothing runs without a worker")
	s.worker = s.newWorker()
	require.NoError(t, s.worker.Start())

	delivered := rc.next()
	require.Equal(t, event["id"], delivered.Payload["id"])
	requests := rc.received()
	require.Len(t, requests, 2)
	require.Equal(t, requests[0].Headers.Get("webhook-id"), requests[1].Headers.Get("webhook-id"))
	s.awaitWorkflow(workflows.DeliveryWorkflowID(event["id"].(string)))
}
