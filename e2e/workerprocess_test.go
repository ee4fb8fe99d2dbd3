package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/worker"
)

// envWorkerProcess, when set in the environment of this test binary, makes
// it a worker process (see runWorkerProcess) instead of running the tests:
// systemOptions.workerProcess starts one so, as a second, real OS process
// working the same task queue against the same Temporal and database.
const envWorkerProcess = "HOOKFLOW_E2E_WORKER_PROCESS"

// workerProcessConfig is what a worker process needs to be one of the
// system's workers: the JSON value of envWorkerProcess.
type workerProcessConfig struct {
	TemporalAddress string
	// Frontends, when set instead, are the frontends of a multi-node
	// Temporal, the preferred first (dialFrontends).
	Frontends  []string
	Namespace  string
	TaskQueue  string
	DSN        string
	SigningKey string // the key pair's secret key string
	Settings   activities.Settings
}

// processReady is the line a process of this test binary prints once it
// serves.
const processReady = "process ready"

func TestMain(m *testing.M) {
	for env, run := range map[string]func(string) error{envWorkerProcess: runWorkerProcess, envTemporalNode: runTemporalNode} {
		if cfg := os.Getenv(env); cfg != "" {
			if err := run(cfg); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", env, err)
				os.Exit(1)
			}
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// runWorkerProcess runs hookflow's worker until killed or interrupted.
func runWorkerProcess(raw string) error {
	var cfg workerProcessConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	key, err := signing.ParseSecretKey(cfg.SigningKey)
	if err != nil {
		return err
	}
	store, err := models.Open(cfg.DSN, models.PoolConfig{MaxOpenConns: 10})
	if err != nil {
		return err
	}
	defer store.Close()
	var tc client.Client
	if len(cfg.Frontends) > 0 {
		tc, err = dialFrontends(cfg.Frontends, cfg.Namespace)
	} else {
		tc, err = client.Dial(client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace, Logger: slog.Default()})
	}
	if err != nil {
		return err
	}
	defer tc.Close()
	network := netpolicy.Policy{AllowPrivate: true}
	w := worker.New(tc, cfg.TaskQueue, &activities.Activities{
		Store:     store,
		HTTP:      network.NewHTTPClient(cfg.Settings.RequestTimeout),
		Signer:    signing.Signer{Keys: &key},
		UserAgent: "hookflow/e2e",
		Settings:  cfg.Settings,
	}, sdkworker.Options{})
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	fmt.Println(processReady)
	awaitStopSignal()
	return nil
}

func awaitStopSignal() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}

// startWorkerProcess starts a worker as an OS process of its own and kills
// it (as a crash would) when the test ends, unless the test killed it
// before. Its log is kept in the test's temporary directory and shown if
// the test failed.
func startWorkerProcess(t testing.TB, cfg workerProcessConfig) *testProcess {
	t.Helper()
	p := launchProcess(t, "worker-process", envWorkerProcess, cfg)
	p.awaitReady(t)
	return p
}

// testProcess is this test binary started again as another process.
type testProcess struct {
	name, logPath string
	process       *os.Process
	ready         chan bool
	cmd           *exec.Cmd
	killOnce      sync.Once
}

// kill kills the process with SIGKILL, as a crash or the OOM killer would
// (no Stop, no goodbye to Temporal), and waits until it is gone.
func (p *testProcess) kill() {
	p.killOnce.Do(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
}

// launchProcess starts this test binary again as the process that env, set
// to cfg in JSON, makes it, and kills it when the test ends. Its log
// (stdout and stderr) is kept in the test's temporary directory, named
// after name, and its tail shown if the test failed.
func launchProcess(t testing.TB, name, env string, cfg any) *testProcess {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+string(raw))
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &testProcess{name: name, logPath: logPath, process: cmd.Process, cmd: cmd}
	t.Cleanup(func() {
		p.kill()
		logFile.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s log (tail):\n%s", name, tail(data, 4000))
			}
		}
	})
	ready := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		started := false
		for lines.Scan() {
			if !started && lines.Text() == processReady {
				started = true
				ready <- true
			}
			fmt.Fprintln(logFile, lines.Text())
		}
		if !started {
			ready <- false
		}
	}()
	p.ready = ready
	return p
}

// awaitReady waits until the process has said it is ready.
func (p *testProcess) awaitReady(t testing.TB) {
	t.Helper()
	select {
	case ok := <-p.ready:
		require.True(t, ok, "%s ended before it was ready; see its log %s", p.name, p.logPath)
	case <-time.After(90 * time.Second):
		t.Fatalf("%s was not ready within 90 s; see its log %s", p.name, p.logPath)
	}
}

func tail(data []byte, n int) []byte {
	if len(data) > n {
		return data[len(data)-n:]
	}
	return data
}
