package e2e

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	sqliteschema "go.temporal.io/server/schema/sqlite"

	"github.com/hookflow/hookflow/bench"
	"github.com/hookflow/hookflow/cmd/hookflow/hookflowtest"
	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/workflows"
)

// BenchmarkFanOutOnTemporalPostgres measures fan-out against a Temporal
// shaped like production's: one node on PostgreSQL (HOOKFLOW_TEST_POSTGRES_DSN),
// whose visibility indexes keyword lists without SQLite's full-text table,
// and whose commits each wait for PostgreSQL's sync. It runs `hookflow
// bench` against it with one webhook per event and with eight, twice each
// in turn, prints each report, and reports the deliveries/s of eight ÷ one
// of each pair. b.N is not used: one iteration is the measurement.
//
//	HOOKFLOW_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run XXX -bench FanOutOnTemporalPostgres -benchtime 1x ./e2e
func BenchmarkFanOutOnTemporalPostgres(b *testing.B) {
	persistence, visibility := temporalDatabases(b)
	ns, err := sqliteschema.NewNamespaceConfig(devstack.ClusterName, "default", false, workflows.SearchAttributes())
	require.NoError(b, err)
	require.NoError(b, sqliteschema.CreateNamespaces(persistence, ns))
	ports, err := devstack.FreeNodePorts()
	require.NoError(b, err)
	opts := devstack.ClusterNodeOptions{Ports: ports, Persistence: persistence, Visibility: visibility, NumHistoryShards: 4,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), LogLevel: slog.LevelError}
	opts.ClusterAddress = opts.FrontendAddr()
	srv, err := devstack.StartClusterNode(opts)
	require.NoError(b, err)
	defer srv.Stop()
	hookflow := hookflowtest.Binary(b)

	run := func(webhooks, events int) float64 {
		cmd := exec.Command(hookflow, "bench", "--temporal-address", opts.FrontendAddr(), "--skip-references", "--format", "json",
			"--webhooks", strconv.Itoa(webhooks), "--events", strconv.Itoa(events))
		var out bytes.Buffer
		cmd.Stdout = &out
		require.NoError(b, cmd.Run(), "hookflow bench --webhooks %d", webhooks)
		var report bench.Report
		require.NoError(b, json.Unmarshal(out.Bytes(), &report), out.String())
		r := report.Results[0]
		require.Zero(b, r.Missing+int(r.Forged), "deliveries missing or forged")
		b.Logf("%d events × %d webhooks: %.1f deliveries/s, p50 %.0f ms, %.1f history events and %.2f ms CPU a delivery",
			events, webhooks, r.DeliveredPerSecond, r.LatencyP50Ms, r.HistoryEventsPerDelivery, r.CPUMsPerDelivery)
		return r.DeliveredPerSecond
	}
	for i := range 2 {
		one := run(1, 1500)
		eight := run(8, 1000)
		b.ReportMetric(eight/one, "fanout-x-"+strconv.Itoa(i+1))
	}
}
