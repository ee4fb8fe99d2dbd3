package e2e

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/workflows"
)

// persistentTemporal is Temporal as hookflow dev runs it: devstack's
// server with its state in a SQLite file, on a fixed address, so that it
// can be stopped and started again with everything it had, and the
// clients, which dial that address, find it again.
type persistentTemporal struct {
	t         testing.TB
	opts      devstack.TemporalOptions
	srv       *devstack.Temporal // nil while stopped
	addr      string
	namespace string
	// client connects lazily, as hookflow's do (see dialTemporal in
	// cmd/hookflow), and reconnects on its own after a restart.
	client client.Client
}

func startPersistentTemporal(t testing.TB) *persistentTemporal {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	dir := t.TempDir()
	logFile, err := os.Create(filepath.Join(dir, "temporal.log"))
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p := &persistentTemporal{t: t, addr: addr, namespace: "default", opts: devstack.TemporalOptions{
		Addr:             addr,
		DataDir:          dir,
		Namespace:        "default",
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           log,
		LogLevel:         slog.LevelWarn,
	}}
	t.Cleanup(func() {
		p.stop()
		logFile.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("Temporal and client log (tail):\n%s", tail(data, 4000))
			}
		}
	})
	p.start()
	p.client, err = client.NewLazyClient(client.Options{HostPort: addr, Namespace: p.namespace,
		Logger: tlog.NewStructuredLogger(log.With("component", "temporal-client"))})
	require.NoError(t, err)
	t.Cleanup(p.client.Close)
	return p
}

// start starts the server on the address and data directory it had.
func (p *persistentTemporal) start() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := devstack.StartTemporal(ctx, p.opts)
	require.NoError(p.t, err)
	p.srv = srv
}

// stop stops the server; calls in flight fail, as on a real restart.
func (p *persistentTemporal) stop() {
	p.t.Helper()
	if p.srv == nil {
		return
	}
	require.NoError(p.t, p.srv.Stop())
	p.srv = nil
}

// restartTemporal stops Temporal, runs whileDown, and starts Temporal
// again with its state, on the same address. It returns how long Temporal
// was down and how long starting it took.
func (s *system) restartTemporal(whileDown func()) (down, starting time.Duration) {
	s.t.Helper()
	require.NotNil(s.t, s.persistent, "start the system with persistentTemporal")
	stopped := time.Now()
	s.persistent.stop()
	whileDown()
	began := time.Now()
	s.persistent.start()
	return time.Since(stopped), time.Since(began)
}
