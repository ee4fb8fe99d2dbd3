package workflows

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

// Histories recorded from real runs (see e2e, HOOKFLOW_RECORD_HISTORY) must
// replay against today's workflow code: a change that breaks determinism
// for workflows already running fails here, not in production.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(Delivery)
			replayer.RegisterWorkflow(Verification)
			replayer.RegisterWorkflow(WebhookTest)
			replayer.RegisterWorkflow(WebhookCheck)
			replayer.RegisterWorkflow(Recovery)
			replayer.RegisterWorkflow(Reconcile)
			replayer.RegisterWorkflow(Prune)
			replayer.RegisterWorkflow(Drain)
			replayer.RegisterWorkflow(Probe)
			replayer.RegisterWorkflow(Batching)
			logger := log.NewStructuredLogger(slog.New(slog.DiscardHandler))
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(logger, file))
		})
	}
}
