package hookflowtest

import (
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/apiclient/apiclienttest"
	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/telemetry/telemetrytest"
)

// Dev is one running "hookflow dev".
type Dev struct {
	t              testing.TB
	cmd            *exec.Cmd
	Stdout, Stderr Output
	exited         chan struct{}
	API, UI        string // base URLs
	Temporal       string // host:port
}

// Addrs are the listen addresses of a dev process.
type Addrs struct{ API, Temporal, UI string }

// FreeAddrs are free addresses below the ephemeral range: a restarted
// "hookflow dev" binds them again, and an outgoing connection of another
// test may not take one in between.
func FreeAddrs(t testing.TB) Addrs {
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
	return Addrs{API: addrs[0], Temporal: addrs[1], UI: addrs[2]}
}

// StartDev starts the binary and waits for /readyz. The process is killed
// when the test ends, if it still runs; a failed test logs its output.
func StartDev(t testing.TB, dataDir string, addrs Addrs, extra ...string) *Dev {
	t.Helper()
	bin := Binary(t)
	args := append([]string{"dev", "--data-dir", dataDir, "--api-addr", addrs.API,
		"--temporal-addr", addrs.Temporal, "--ui-addr", addrs.UI}, extra...)
	p := &Dev{
		t: t, cmd: exec.Command(bin, args...), exited: make(chan struct{}),
		API: "http://" + addrs.API, UI: "http://" + addrs.UI, Temporal: addrs.Temporal,
	}
	p.cmd.Env = CleanEnv()
	p.Stdout, p.Stderr = NewOutput(t, "stdout"), NewOutput(t, "stderr")
	p.cmd.Stdout, p.cmd.Stderr = p.Stdout.File(), p.Stderr.File()
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
			t.Logf("hookflow dev %v\nstdout:\n%s\nstderr:\n%s", args, p.Stdout, p.Stderr)
		}
	})

	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(p.API + "/readyz")
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
func (p *Dev) startupLogged() string {
	m := regexp.MustCompile(`"msg":"hookflow dev is ready","startup":"([^"]+)"`).FindStringSubmatch(p.Stderr.String())
	if m == nil {
		return "no startup time logged"
	}
	return "logged startup=" + m[1]
}

// Stop sends SIGINT and requires a clean exit.
func (p *Dev) Stop() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGINT))
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		p.t.Fatal("hookflow dev did not stop within a minute of SIGINT")
	}
	require.True(p.t, p.cmd.ProcessState.Success(), "exit status %v", p.cmd.ProcessState)
	logs := p.Stderr.String()
	for _, want := range []string{"worker stopped", "Temporal stopped"} {
		require.Contains(p.t, logs, want)
	}
}

// Token is the operator token the banner shows.
func (p *Dev) Token() string {
	p.t.Helper()
	m := regexp.MustCompile(`API token\s+(\S+)`).FindStringSubmatch(p.Stdout.String())
	require.NotNil(p.t, m, "the banner shows the API token:\n%s", p.Stdout)
	return m[1]
}

// Call makes an API request with the operator token, requires wantStatus
// and decodes the answer into out (if any).
func (p *Dev) Call(method, path string, body any, wantStatus int, out any) {
	p.t.Helper()
	apiclienttest.Call(p.t, p.API, p.Token(), method, path, body, wantStatus, out)
}

// Metrics scrapes GET /metrics with the operator token.
func (p *Dev) Metrics() telemetrytest.Metrics {
	p.t.Helper()
	req, err := http.NewRequest("GET", p.API+"/metrics", nil)
	require.NoError(p.t, err)
	req.Header.Set("Authorization", "Bearer "+p.Token())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	require.Equal(p.t, http.StatusOK, resp.StatusCode, "%s", data)
	return telemetrytest.Parse(p.t, data)
}

// TemporalClient dials the process's Temporal; it is closed when the test ends.
func (p *Dev) TemporalClient() client.Client {
	p.t.Helper()
	c, err := client.Dial(client.Options{HostPort: p.Temporal, Namespace: "default"})
	require.NoError(p.t, err)
	p.t.Cleanup(c.Close)
	return c
}
