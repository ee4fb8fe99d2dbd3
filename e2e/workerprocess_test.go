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
	Namespace       string
	TaskQueue       string
	DSN             string
	SigningKey      string // the key pair's secret key string
	Settings        activities.Settings
}

const workerProcessReady = "worker process ready"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(envWorkerProcess); cfg != "" {
		if err := runWorkerProcess(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "worker process:", err)
			os.Exit(1)
		}
		os.Exit(0)
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
	tc, err := client.Dial(client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.Namespace, Logger: slog.Default()})
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
	fmt.Println(workerProcessReady)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}

// workerProcess is a running worker process.
type workerProcess struct {
	cmd      *exec.Cmd
	killOnce sync.Once
}

// kill kills the process with SIGKILL, as a crash or the OOM killer would
// (no Stop, no goodbye to Temporal), and waits until it is gone.
func (p *workerProcess) kill() {
	p.killOnce.Do(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
}

// startWorkerProcess starts a worker as an OS process of its own and kills
// it (as a crash would) when the test ends, unless the test killed it
// before. Its log is kept in the test's temporary directory and shown if
// the test failed.
func startWorkerProcess(t testing.TB, cfg workerProcessConfig) *workerProcess {
	t.Helper()
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envWorkerProcess+"="+string(raw))
	logPath := filepath.Join(t.TempDir(), "worker-process.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &workerProcess{cmd: cmd}
	t.Cleanup(func() {
		p.kill()
		logFile.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logPath); err == nil {
				t.Logf("worker process %d log (tail):\n%s", cmd.Process.Pid, tail(data, 4000))
			}
		}
	})
	ready := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		started := false
		for lines.Scan() {
			if !started && lines.Text() == workerProcessReady {
				started = true
				ready <- true
			}
			fmt.Fprintln(logFile, lines.Text())
		}
		if !started {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "the worker process ended before it was ready; see its log %s", logPath)
	case <-time.After(60 * time.Second):
		t.Fatalf("the worker process was not ready within 60 s; see its log %s", logPath)
	}
	return p
}

func tail(data []byte, n int) []byte {
	if len(data) > n {
		return data[len(data)-n:]
	}
	return data
}
