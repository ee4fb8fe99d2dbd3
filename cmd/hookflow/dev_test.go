package main

import (
	"bytes"
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

	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
	"github.com/hookflow/hookflow/workflows"
)

// These tests run the real binary, as a developer would: build it, start
// "hookflow dev", talk to it over HTTP and gRPC, stop it with SIGINT.

var built struct {
	once sync.Once
	path string
	err  error
}

// hookflowBinary builds the binary once for all tests.
func hookflowBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "hookflow-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "hookflow")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, built.err)
	return built.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

// devProcess is one running "hookflow dev".
type devProcess struct {
	t              testing.TB
	cmd            *exec.Cmd
	stdout, stderr output
	exited         chan struct{}
	api, ui        string // base URLs
	temporal       string // host:port
}

type devAddrs struct{ api, temporal, ui string }

// freeAddrs are free addresses below the ephemeral range: a restarted
// "hookflow dev" binds them again, and an outgoing connection of another
// test may not take one in between.
func freeAddrs(t testing.TB) devAddrs {
	t.Helper()
	seen := map[string]bool{}
	var addrs [3]string
	for i := range addrs {
		for addrs[i] == "" || seen[addrs[i]] {
			addr, err := devstack.FreeLoopbackAddr()
			require.NoError(t, err)
			addrs[i] = addr
		}
		seen[addrs[i]] = true
	}
	return devAddrs{api: addrs[0], temporal: addrs[1], ui: addrs[2]}
}

// startDev starts the binary and waits for /readyz.
func startDev(t testing.TB, dataDir string, addrs devAddrs, extra ...string) *devProcess {
	t.Helper()
	bin := hookflowBinary(t)
	args := append([]string{"dev", "--data-dir", dataDir, "--api-addr", addrs.api,
		"--temporal-addr", addrs.temporal, "--ui-addr", addrs.ui}, extra...)
	p := &devProcess{
		t: t, cmd: exec.Command(bin, args...), exited: make(chan struct{}),
		api: "http://" + addrs.api, ui: "http://" + addrs.ui, temporal: addrs.temporal,
	}
	p.cmd.Env = cleanEnv()
	// Files, not pipes: what the process wrote before answering /readyz
	// is there to read once it has.
	p.stdout, p.stderr = newOutput(t, "stdout"), newOutput(t, "stderr")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout.f, p.stderr.f
	began := time.Now()
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("hookflow dev %v\nstdout:\n%s\nstderr:\n%s", args, p.stdout, p.stderr)
		}
	})

	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(p.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("hookflow dev exited before it was ready: %v", p.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "hookflow dev not ready within 2 minutes")
	}
	t.Logf("hookflow dev ready %v after exec (%s)", time.Since(began).Round(time.Millisecond), p.startupLogged())
	return p
}

// startupLogged is the start-to-ready time the process logged.
func (p *devProcess) startupLogged() string {
	m := regexp.MustCompile(`"msg":"hookflow dev is ready","startup":"([^"]+)"`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		return "no startup time logged"
	}
	return "logged startup=" + m[1]
}

// stop sends SIGINT and requires a clean exit.
func (p *devProcess) stop() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGINT))
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		p.t.Fatal("hookflow dev did not stop within a minute of SIGINT")
	}
	require.True(p.t, p.cmd.ProcessState.Success(), "exit status %v", p.cmd.ProcessState)
	logs := p.stderr.String()
	for _, want := range []string{"worker stopped", "Temporal stopped"} {
		require.Contains(p.t, logs, want)
	}
}

func (p *devProcess) token() string {
	p.t.Helper()
	m := regexp.MustCompile(`API token\s+(\S+)`).FindStringSubmatch(p.stdout.String())
	require.NotNil(p.t, m, "the banner shows the API token:\n%s", p.stdout)
	return m[1]
}

func (p *devProcess) call(method, path string, body any, wantStatus int, out any) {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(p.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.api+path, r)
	require.NoError(p.t, err)
	req.Header.Set("Authorization", "Bearer "+p.token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	require.Equal(p.t, wantStatus, resp.StatusCode, "%s %s answered %s", method, path, data)
	if out != nil {
		require.NoError(p.t, json.Unmarshal(data, out))
	}
}

// metrics scrapes GET /metrics with the operator token.
func (p *devProcess) metrics() telemetrytest.Metrics {
	p.t.Helper()
	req, err := http.NewRequest("GET", p.api+"/metrics", nil)
	require.NoError(p.t, err)
	req.Header.Set("Authorization", "Bearer "+p.token())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	require.Equal(p.t, http.StatusOK, resp.StatusCode, "%s", data)
	return telemetrytest.Parse(p.t, data)
}

func (p *devProcess) temporalClient() client.Client {
	p.t.Helper()
	c, err := client.Dial(client.Options{HostPort: p.temporal, Namespace: "default"})
	require.NoError(p.t, err)
	p.t.Cleanup(c.Close)
	return c
}

func TestDevRunsEverythingAndKeepsItAcrossARestart(t *testing.T) {
	dataDir := t.TempDir()
	addrs := freeAddrs(t)
	dev := startDev(t, dataDir, addrs)

	banner := dev.stdout.String()
	for _, want := range []string{dev.api, dev.ui + "/namespaces/default/workflows", addrs.temporal, dataDir} {
		require.Contains(t, banner, want, "the banner shows it")
	}
	// The console is served, and the banner's login link signs in once.
	require.Contains(t, banner, "Console     "+dev.api+"/console")
	link := regexp.MustCompile(`Login link\s+(\S+)`).FindStringSubmatch(banner)
	require.NotNil(t, link, banner)
	require.True(t, strings.HasPrefix(link[1], dev.api+"/console/login/"), link[1])
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
	require.Equal(t, strings.TrimSpace(string(saved)), dev.token(), "the token is kept in the data directory")
	require.FileExists(t, filepath.Join(dataDir, "temporal.db"))
	require.Contains(t, dev.stderr.String(), "callback URLs on loopback and private networks are allowed")

	var db, profile, message map[string]any
	dev.call("POST", "/v1/databases", map[string]any{"name": "Newsletter"}, http.StatusCreated, &db)
	dev.call("POST", "/v1/databases/"+db["id"].(string)+"/profiles", map[string]any{
		"email": "ann@example.com", "fields": map[string]any{"firstname": "Ann"},
	}, http.StatusCreated, &profile)
	dev.call("POST", "/v1/messages", map[string]any{"profile_id": profile["id"]}, http.StatusCreated, &message)

	rc := newLoopbackReceiver(t)
	var wh struct {
		ID           string `json:"id"`
		Secret       string `json:"secret"`
		Verification struct{ Filename, Content string }
	}
	dev.call("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hooks/handler.php", "events": []string{"open"}}, http.StatusCreated, &wh)
	var keys struct{ Keys []signing.PublicKey }
	dev.call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.expect(wh.Secret, keys.Keys[0].PublicKey, "/hooks/"+wh.Verification.Filename, wh.Verification.Content)
	var verified map[string]any
	dev.call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusOK, &verified)
	require.Equal(t, "active", verified["status"])

	openPixel(t, message["open_url"].(string))
	delivery := rc.next(t)
	require.Equal(t, "open", delivery["type"])
	require.Equal(t, "ann@example.com", delivery["recipient"])
	deliveryWorkflow := workflows.DeliveryWorkflowID(delivery["id"].(string))

	// The Web UI is served, and talks to the same Temporal.
	page := httpGet(t, dev.ui+"/namespaces/default/workflows")
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.contentType, "text/html")
	require.Contains(t, strings.ToLower(page.body), "<!doctype html>")
	settings := httpGet(t, dev.ui+"/api/v1/namespaces/default/search-attributes")
	require.Equal(t, http.StatusOK, settings.status, settings.body)
	require.Contains(t, settings.body, `"WebhookId"`)

	// The delivery is findable the way the README tells people to look.
	tc := dev.temporalClient()
	requireCompletedDelivery(t, tc, wh.ID, deliveryWorkflow)

	// One /metrics serves it all: the API's, the worker's, the Temporal SDK's.
	metrics := dev.metrics()
	require.Equal(t, 1.0, metrics.Value("hookflow_events_accepted_total", "type", "open"))
	require.Equal(t, 1.0, metrics.Value("hookflow_deliveries_total", "outcome", "succeeded"))
	require.Equal(t, 1.0, metrics.Value("hookflow_verification_checks_total", "result", "passed"))
	require.True(t, metrics.Has("hookflow_events_unsettled") && metrics.Has("go_goroutines"))
	require.Eventually(t, func() bool {
		return dev.metrics().Value("temporal_workflow_completed_total", "workflow_type", "Delivery") >= 1
	}, 10*time.Second, 200*time.Millisecond, "the Temporal SDK's metrics are served")

	dev.stop()
	require.Contains(t, dev.stderr.String(), "shutting down")
	// Its logs are JSON, and never show the operator token.
	records := jsonLines(t, dev.stderr.String())
	require.NotEmpty(t, records)
	require.NotContains(t, dev.stderr.String(), dev.token())

	// Same data directory, fresh process: everything is still there.
	dev = startDev(t, dataDir, addrs)
	var again map[string]any
	dev.call("GET", "/v1/webhooks/"+wh.ID, nil, http.StatusOK, &again)
	require.Equal(t, "active", again["status"])
	requireCompletedDelivery(t, dev.temporalClient(), wh.ID, deliveryWorkflow)

	// And it still delivers.
	openPixel(t, message["open_url"].(string))
	require.Equal(t, "open", rc.next(t)["type"])
	dev.stop()
}

func TestDevDemoDeliversToItsOwnReceiver(t *testing.T) {
	dataDir := t.TempDir()
	dev := startDev(t, dataDir, freeAddrs(t), "--ephemeral", "--demo")
	// The demo seeds after the banner; wait for the curl command it prints.
	var openURL string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`curl -s -o /dev/null (\S+/t/o/\S+)`).FindStringSubmatch(dev.stdout.String())
		if m != nil {
			openURL = m[1]
		}
		return m != nil
	}, time.Minute, 100*time.Millisecond, "the demo prints a curl command for the open pixel")
	openPixel(t, openURL)
	require.Eventually(t, func() bool {
		return strings.Contains(dev.stdout.String(), "Demo receiver: open webhook")
	}, time.Minute, 100*time.Millisecond, "the demo receiver prints the verified webhook")
	require.Regexp(t, `Demo receiver: open webhook-id=\S+ verified=v1,v1a \{`, dev.stdout.String())
	dev.stop()
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

// cleanEnv is the test's environment without hookflow's and Temporal's
// settings, so the developer's own cannot change what is tested.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKFLOW_") && !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return env
}

// output is a file a process writes to.
type output struct{ f *os.File }

func newOutput(t testing.TB, name string) output {
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return output{f}
}

func (o output) String() string {
	data, _ := os.ReadFile(o.f.Name())
	return string(data)
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
	dev := startDev(t, t.TempDir(), freeAddrs(t))
	var db, profile, message map[string]any
	dev.call("POST", "/v1/databases", map[string]any{"name": "Load"}, http.StatusCreated, &db)
	dev.call("POST", "/v1/databases/"+db["id"].(string)+"/profiles", map[string]any{"email": "load@example.com"}, http.StatusCreated, &profile)
	dev.call("POST", "/v1/messages", map[string]any{"profile_id": profile["id"]}, http.StatusCreated, &message)
	rc := newLoopbackReceiver(t)
	rc.arrived = make(chan map[string]any, n)
	var wh struct {
		ID, Secret   string
		Verification struct{ Filename, Content string }
	}
	dev.call("POST", "/v1/webhooks", map[string]any{"url": rc.URL + "/hook", "events": []string{"delivery"}}, http.StatusCreated, &wh)
	var keys struct{ Keys []signing.PublicKey }
	dev.call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.expect(wh.Secret, keys.Keys[0].PublicKey, "/"+wh.Verification.Filename, wh.Verification.Content)
	dev.call("POST", "/v1/webhooks/"+wh.ID+"/verify", nil, http.StatusOK, nil)

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
				dev.call("POST", "/v1/events", map[string]any{"id": fmt.Sprintf("load-%d", i), "type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
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
	dev.stop()
}

// A worker started with --metrics-addr serves its metrics there, without
// a token, and nothing else: its own, the backlog, the Temporal SDK's.
func TestWorkerServesItsMetrics(t *testing.T) {
	dataDir := t.TempDir()
	addrs := freeAddrs(t)
	dev := startDev(t, dataDir, addrs) // Temporal and the database the worker uses
	metricsAddr := freeAddrs(t).api
	worker := exec.Command(hookflowBinary(t), "worker", "--data-dir", dataDir, "--temporal-address", addrs.temporal, "--metrics-addr", metricsAddr)
	worker.Env = cleanEnv()
	stderr := newOutput(t, "worker-stderr")
	worker.Stderr = stderr.f
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
	dev.stop()
}
