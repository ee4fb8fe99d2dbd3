package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/cmd/hookflow/hookflowtest"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
	"github.com/hookflow/hookflow/workflows"
)

// These tests run the real binary, as a developer would: build it, start
// "hookflow dev", talk to it over HTTP and gRPC, stop it with SIGINT.

func TestMain(m *testing.M) {
	code := m.Run()
	hookflowtest.RemoveBinary()
	os.Exit(code)
}

func TestDevRunsEverythingAndKeepsItAcrossARestart(t *testing.T) {
	dataDir := t.TempDir()
	addrs := hookflowtest.FreeAddrs(t)
	dev := hookflowtest.StartDev(t, dataDir, addrs)

	banner := dev.Stdout.String()
	for _, want := range []string{dev.API, dev.UI + "/namespaces/default/workflows", addrs.Temporal, dataDir} {
		require.Contains(t, banner, want, "the banner shows it")
	}
	// The console is served, and the banner's login link signs in once.
	require.Contains(t, banner, "Console     "+dev.API+"/console")
	link := regexp.MustCompile(`Login link\s+(\S+)`).FindStringSubmatch(banner)
	require.NotNil(t, link, banner)
	require.True(t, strings.HasPrefix(link[1], dev.API+"/console/login/"), link[1])
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{http.StatusSeeOther, http.StatusUnauthorized} {
		resp, err := noRedirect.Get(link[1])
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, "use %d of the login link", i+1)
		if want == http.StatusSeeOther {
			require.Equal(t, "/console/webhooks", resp.Header.Get("Location"))
			require.Contains(t, resp.Header.Get("Set-Cookie"), "hookflow_console=")
		}
	}

	saved, err := os.ReadFile(filepath.Join(dataDir, "api-token"))
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(saved)), dev.Token(), "the token is kept in the data directory")
	require.FileExists(t, filepath.Join(dataDir, "temporal.db"))
	require.Contains(t, dev.Stderr.String(), "callback URLs on loopback and private networks are allowed")

	var db, profile, message map[string]any
	dev.Call("POST", "/v1/databases", map[string]any{"name": "Newsletter"}, http.StatusCreated, &db)
	dev.Call("POST", "/v1/databases/"+db["id"].(string)+"/profiles", map[string]any{
		"email": "ann@example.com", "fields": map[string]any{"firstname": "Ann"},
	}, http.StatusCreated, &profile)
	dev.Call("POST", "/v1/messages", map[string]any{"profile_id": profile["id"]}, http.StatusCreated, &message)

	rc := newLoopbackReceiver(t)
	var wh struct {
		ID           string `json:"id"`
		Secret       string `json:"secret"`
		Verification struct{ Filename, Content string }
	}
	dev.Call("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hooks/handler.php", "events": []string{"open"}}, http.StatusCreated, &wh)
	var keys struct{ Keys []signing.PublicKey }
	dev.Call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.expect(wh.Secret, keys.Keys[0].PublicKey, "/hooks/"+wh.Verification.Filename, wh.Verification.Content)
	var verified map[string]any
	dev.Call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusOK, &verified)
	require.Equal(t, "active", verified["status"])

	openPixel(t, message["open_url"].(string))
	delivery := rc.next(t)
	require.Equal(t, "open", delivery["type"])
	require.Equal(t, "ann@example.com", delivery["recipient"])
	deliveryWorkflow := workflows.DeliveryWorkflowID(delivery["id"].(string))

	// The Web UI is served, and talks to the same Temporal.
	page := httpGet(t, dev.UI+"/namespaces/default/workflows")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.contentType, "text/html")
	require.Contains(t, strings.ToLower(page.body), "<!doctype html>")
	settings := httpGet(t, dev.UI+"/api/v1/namespaces/default/search-attributes")
	require.Equal(t, http.StatusOK, settings.status, settings.body)
	require.Contains(t, settings.body, `"WebhookId"`)

	// The delivery is findable the way the README tells people to look.
	tc := dev.TemporalClient()
	requireCompletedDelivery(t, tc, wh.ID, deliveryWorkflow)

	// One /metrics serves it all: the API's, the worker's, the Temporal SDK's.
	metrics := dev.Metrics()
	require.Equal(t, 1.0, metrics.Value("hookflow_events_accepted_total", "type", "open"))
	require.Equal(t, 1.0, metrics.Value("hookflow_deliveries_total", "outcome", "succeeded"))
	require.Equal(t, 1.0, metrics.Value("hookflow_verification_checks_total", "result", "passed"))
	require.True(t, metrics.Has("hookflow_events_unsettled") && metrics.Has("go_goroutines"))
	require.Eventually(t, func() bool {
		return dev.Metrics().Value("temporal_workflow_completed_total", "workflow_type", "Delivery") >= 1
	}, 10*time.Second, 200*time.Millisecond, "the Temporal SDK's metrics are served")

	dev.Stop()
	require.Contains(t, dev.Stderr.String(), "shutting down")
	// Its logs are JSON, and never show the operator token.
	records := jsonLines(t, dev.Stderr.String())
	require.NotEmpty(t, records)
	require.NotContains(t, dev.Stderr.String(), dev.Token())

	// Same data directory, fresh process: everything is still there.
	dev = hookflowtest.StartDev(t, dataDir, addrs)
	var again map[string]any
	dev.Call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &again)
	require.Equal(t, "active", again["status"])
	requireCompletedDelivery(t, dev.TemporalClient(), wh.ID, deliveryWorkflow)

	// And it still delivers.
	openPixel(t, message["open_url"].(string))
	require.Equal(t, "open", rc.next(t)["type"])
	dev.Stop()
}

func TestDevDemoDeliversToItsOwnReceiver(t *testing.T) {
	dataDir := t.TempDir()
	dev := hookflowtest.StartDev(t, dataDir, hookflowtest.FreeAddrs(t), "--ephemeral", "--demo")
	// The demo seeds after the banner; wait for the curl command it prints.
	var openURL string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`curl -s -o /dev/null (\S+/t/o/\S+)`).FindStringSubmatch(dev.Stdout.String())
		if m != nil {
			openURL = m[1]
		}
		return m != nil
	}, time.Minute, 100*time.Millisecond, "the demo prints a curl command for the open pixel")
	openPixel(t, openURL)
	require.Eventually(t, func() bool {
		return strings.Contains(dev.Stdout.String(), "Demo receiver: open webhook")
	}, time.Minute, 100*time.Millisecond, "the demo receiver prints the verified webhook")
	require.Regexp(t, `Demo receiver: open webhook-id=\S+ verified=v1,v1a \{`, dev.Stdout.String())
	dev.Stop()
	for _, name := range []string{"temporal.db", "hookflow.db"} {
		require.NoFileExists(t, filepath.Join(dataDir, name), "ephemeral keeps no state in the data directory")
	}
}

// requireCompletedDelivery finds the delivery with the Web UI's query and
// requires its workflow completed.
func requireCompletedDelivery(t *testing.T, tc client.Client, webhookID, workflowID string) {
	t.Helper()
	query := fmt.Sprintf("WebhookId = %q", webhookID)
	var found []string
	require.Eventually(t, func() bool {
		resp, err := tc.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
		if err != nil {
			return false
		}
		found = found[:0]
		for _, e := range resp.GetExecutions() {
			if e.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
				found = append(found, e.GetExecution().GetWorkflowId())
			}
		}
		return len(found) == 1
	}, time.Minute, 200*time.Millisecond, "one completed delivery for %s", query)
	require.Equal(t, workflowID, found[0])
}

func openPixel(t testing.TB, url string) {
	t.Helper()
	r := httpGet(t, url)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "image/gif", r.contentType)
}

type got struct {
	status            int
	contentType, body string
}

func httpGet(t testing.TB, url string) got {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return got{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}

// loopbackReceiver serves the verification file and accepts deliveries
// whose v1 and v1a signatures both verify.
type loopbackReceiver struct {
	*httptest.Server
	t                            testing.TB
	mu                           sync.Mutex
	secret, publicKey, path, txt string
	arrived                      chan map[string]any
}

func newLoopbackReceiver(t testing.TB) *loopbackReceiver {
	rc := &loopbackReceiver{t: t, arrived: make(chan map[string]any, 10)}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *loopbackReceiver) expect(secret, publicKey, path, content string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret, rc.publicKey, rc.path, rc.txt = secret, publicKey, path, content
}

func (rc *loopbackReceiver) serve(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method == http.MethodGet {
		if r.URL.Path != rc.path {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, rc.txt)
		return
	}
	body, _ := io.ReadAll(r.Body)
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err == nil {
		err = wh.Verify(body, r.Header)
	}
	if err == nil {
		err = signing.VerifyV1a(rc.publicKey, body, r.Header)
	}
	if err != nil {
		rc.t.Errorf("a delivery's signature does not verify: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var payload map[string]any
	if err := json.Unmarshal(body, &payload); err != nil {
		rc.t.Errorf("payload is not JSON: %s", body)
	}
	rc.arrived <- payload
}

func (rc *loopbackReceiver) next(t testing.TB) map[string]any {
	t.Helper()
	select {
	case p := <-rc.arrived:
		return p
	case <-time.After(time.Minute):
		t.Fatal("no delivery within a minute")
		return nil
	}
}

// TestDevThroughput measures deliveries per second through the whole dev
// stack. It runs only when HOOKFLOW_TEST_DEV_THROUGHPUT names how many
// events to send (e.g. 500); everything stays on loopback.
// BenchmarkDevThroughput measures hookflow dev's whole path under load:
// events accepted by the API from 8 concurrent senders, delivered by
// workflows on the embedded Temporal server, signed and verified by a
// loopback receiver. Run with -benchtime=500x for a stable number.
func BenchmarkDevThroughput(b *testing.B) {
	t, n := b, b.N
	dev := hookflowtest.StartDev(t, t.TempDir(), hookflowtest.FreeAddrs(t))
	var db, profile, message map[string]any
	dev.Call("POST", "/v1/databases", map[string]any{"name": "Load"}, http.StatusCreated, &db)
	dev.Call("POST", "/v1/databases/"+db["id"].(string)+"/profiles", map[string]any{"email": "load@example.com"}, http.StatusCreated, &profile)
	dev.Call("POST", "/v1/messages", map[string]any{"profile_id": profile["id"]}, http.StatusCreated, &message)
	rc := newLoopbackReceiver(t)
	rc.arrived = make(chan map[string]any, n)
	var wh struct {
		ID, Secret   string
		Verification struct{ Filename, Content string }
	}
	dev.Call("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hook", "events": []string{"delivery"}}, http.StatusCreated, &wh)
	var keys struct{ Keys []signing.PublicKey }
	dev.Call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.expect(wh.Secret, keys.Keys[0].PublicKey, "/"+wh.Verification.Filename, wh.Verification.Content)
	dev.Call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusOK, nil)

	const senders = 8
	began := time.Now()
	ids := make(chan int, n)
	for i := range n {
		ids <- i
	}
	close(ids)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for i := range ids {
				dev.Call("POST", "/v1/events", map[string]any{"id": fmt.Sprintf("load-%d", i), "type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
			}
		})
	}
	wg.Wait()
	accepted := time.Since(began)
	for range n {
		rc.next(t)
	}
	all := time.Since(began)
	b.ReportMetric(float64(n)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(n)/all.Seconds(), "delivered/s")
	dev.Stop()
}

// A worker started with --metrics-addr serves its metrics there, without
// a token, and nothing else: its own, the backlog, the Temporal SDK's.
func TestWorkerServesItsMetrics(t *testing.T) {
	dataDir := t.TempDir()
	addrs := hookflowtest.FreeAddrs(t)
	dev := hookflowtest.StartDev(t, dataDir, addrs) // Temporal and the database the worker uses
	metricsAddr := hookflowtest.FreeAddrs(t).API
	worker := exec.Command(hookflowtest.Binary(t), "worker", "--data-dir", dataDir, "--temporal-address", addrs.Temporal, "--metrics-addr", metricsAddr)
	worker.Env = hookflowtest.CleanEnv()
	stderr := hookflowtest.NewOutput(t, "worker-stderr")
	worker.Stderr = stderr.File()
	require.NoError(t, worker.Start())
	exited := make(chan struct{})
	go func() { _ = worker.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = worker.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("worker stderr:\n%s", stderr)
		}
	})

	var metrics telemetrytest.Metrics
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return false
		}
		metrics = telemetrytest.Parse(t, data)
		return metrics.Value("temporal_worker_start_total") >= 1
	}, time.Minute, 200*time.Millisecond, "the worker serves its metrics, the Temporal SDK's among them")
	for _, name := range []string{"hookflow_deliveries_total", "hookflow_delivery_attempt_duration_seconds", "hookflow_events_unsettled", "go_goroutines"} {
		require.True(t, metrics.Has(name), "the worker serves %s", name)
	}
	require.Equal(t, http.StatusNotFound, httpGet(t, "http://"+metricsAddr+"/").status)

	require.NoError(t, worker.Process.Signal(syscall.SIGINT))
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatal("the worker did not stop within a minute of SIGINT")
	}
	require.True(t, worker.ProcessState.Success(), "exit status %v", worker.ProcessState)
	jsonLines(t, stderr.String())
	dev.Stop()
}
