package devstack

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// BenchmarkTemporalSQLiteSettings measures the embedded server's throughput
// under SQLite connect attributes, on the shape of a delivery's happy path:
// a workflow running one local activity. Compare settings within one run
// (as ratios): the machines are noisy.
//
//	go test -run XXX -bench TemporalSQLiteSettings -benchtime 300x -count 2 ./devstack/
func BenchmarkTemporalSQLiteSettings(b *testing.B) {
	for _, s := range []struct {
		name      string
		ephemeral bool
		attrs     map[string]string // nil: the defaults
		journal   string            // the journal_mode the file ends up in
	}{
		{name: "wal-normal", journal: "wal"},
		{name: "wal-full", attrs: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "FULL"}, journal: "wal"},
		{name: "rollback-journal", attrs: map[string]string{"mode": "rwc"}, journal: "delete"},
		// "_"-prefixed keys become unknown pragmas, which SQLite ignores:
		// this is rollback-journal under another name.
		{name: "underscore-keys", attrs: map[string]string{"mode": "rwc", "_journal_mode": "wal", "_synchronous": "NORMAL"}, journal: "delete"},
		{name: "memory", ephemeral: true},
	} {
		b.Run(s.name, func(b *testing.B) {
			benchWorkflows(b, TemporalOptions{
				DataDir:          b.TempDir(),
				Ephemeral:        s.ephemeral,
				SQLiteAttributes: s.attrs,
			}, s.journal)
		})
	}
}

const benchStarters = 32

// benchWorkflows runs b.N benchWorkflow from benchStarters goroutines on a
// server of its own, after a warm-up round, and reports workflows/s.
func benchWorkflows(b *testing.B, opts TemporalOptions, wantJournal string) {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Minute)
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	opts.Addr = ln.Addr().String()
	ln.Close()
	opts.Namespace = "default"
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.LogLevel = slog.LevelError
	ts, err := StartTemporal(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := ts.Stop(); err != nil {
			b.Error(err)
		}
	}()

	c, err := client.Dial(client.Options{HostPort: ts.Addr(), Namespace: "default", Logger: quietSDKLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const taskQueue = "bench"
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(benchWorkflow)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	// run executes n workflows with IDs prefix-0..n-1 from benchStarters
	// goroutines, each starting one and waiting for its result.
	run := func(prefix string, n int) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, benchStarters)
		for range benchStarters {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					wr, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
						ID:        fmt.Sprintf("%s-%d", prefix, i),
						TaskQueue: taskQueue,
					}, benchWorkflow, int(i))
					var out int
					if err == nil {
						err = wr.Get(ctx, &out)
					}
					if err == nil && out != int(i)+1 {
						err = fmt.Errorf("workflow %s-%d returned %d", prefix, i, out)
					}
					if err != nil {
						errs <- err
						cancel()
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs // nil when closed empty
	}

	// Warm up the pollers, caches and connections alike for every setting.
	if err := run("warmup", benchStarters); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.StartTimer()
	err = run("bench", b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "workflows/s")

	if wantJournal != "" {
		// The server keeps writing: without WAL a reader waits for its locks.
		db, err := sql.Open("sqlite", "file:"+ts.DBPath()+"?mode=ro&_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		var mode string
		if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
			b.Fatal(err)
		}
		if mode != wantJournal {
			b.Fatalf("journal_mode = %s, want %s", mode, wantJournal)
		}
	}
}

func benchWorkflow(ctx workflow.Context, n int) (int, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	var out int
	err := workflow.ExecuteLocalActivity(ctx, benchActivity, n).Get(ctx, &out)
	return out, err
}

func benchActivity(_ context.Context, n int) (int, error) { return n + 1, nil }
