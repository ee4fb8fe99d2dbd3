package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/bench"
	"github.com/hookflow/hookflow/cmd/hookflow/hookflowtest"
	"github.com/hookflow/hookflow/models/modelstest"
)

// hookflow bench, as a user runs it (small, so it is quick): hookflow and
// both references deliver every event to every endpoint, every signature
// verifies at the receiver, and the report has figures for each and the
// ratios. On MariaDB in CI, through HOOKFLOW_DATABASE_DSN.
func TestBenchReportsHookflowAndItsReferences(t *testing.T) {
	bin := hookflowtest.Binary(t)
	dsn := modelstest.DSN(t)
	for _, ingest := range []string{"single", "batch"} {
		t.Run(ingest, func(t *testing.T) {
			args := []string{"bench", "--events", "40", "--webhooks", "2", "--clients", "4", "--format", "json", "--batch-ingest=" + map[string]string{"single": "false", "batch": "true"}[ingest]}
			cmd := exec.CommandContext(t.Context(), bin, args...)
			cmd.Env = append(os.Environ(), "HOOKFLOW_DATABASE_DSN="+dsn)
			var out, progress bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &progress
			began := time.Now()
			require.NoError(t, cmd.Run(), "stderr:\n%s", progress.String())
			t.Logf("hookflow %v took %v:\n%s", args, time.Since(began).Round(100*time.Millisecond), out.String())

			var rep bench.Report
			require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
			require.Equal(t, ingest, rep.Ingest)
			require.Len(t, rep.Results, 3)
			for _, r := range rep.Results {
				require.Equal(t, 40, r.Events, r.Name)
				require.Equal(t, 80, r.Deliveries, r.Name)
				require.Zero(t, r.Missing, r.Name)
				require.Zero(t, r.Forged, r.Name)
				require.Positive(t, r.DeliveredPerSecond, r.Name)
				require.Positive(t, r.LatencyP50Ms, r.Name)
				require.LessOrEqual(t, r.LatencyP50Ms, r.LatencyP99Ms, r.Name)
				require.Positive(t, r.CPUMsPerDelivery, r.Name)
			}
			require.Equal(t, []string{"hookflow", "Temporal floor", "plain worker pool"}, []string{rep.Results[0].Name, rep.Results[1].Name, rep.Results[2].Name})
			// A delivery's history: at least start, a workflow task and
			// completion, shared by the event's two webhooks.
			require.GreaterOrEqual(t, rep.Results[0].HistoryEventsPerDelivery, 2.0)
			require.GreaterOrEqual(t, rep.Results[1].HistoryEventsPerDelivery, 2.0)
			require.Zero(t, rep.Results[2].HistoryEventsPerDelivery, "the pool has no workflows")
			require.Positive(t, rep.ToFloor)
			require.Positive(t, rep.ToMachine)
			require.Positive(t, rep.PeakRSSMiB)
		})
	}
}
