package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/bench"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/keyfile"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/workflows"
)

// runBench runs hookflow in this process, as hookflow dev does (Temporal
// on a SQLite file unless --temporal-address names one, the embedded
// database unless HOOKFLOW_DATABASE_DSN names another, the worker and the
// API), with everything it keeps in a temporary directory, measures it
// with package bench and prints the report on standard output.
func runBench(ctx context.Context, log *slog.Logger, cfg config.Config) error {
	return benchTo(ctx, log, cfg, os.Stdout, os.Stderr)
}

// benchTo is runBench writing the report to out and the progress to progress.
func benchTo(ctx context.Context, log *slog.Logger, cfg config.Config, out, progress io.Writer) error {
	if cfg.BenchEvents < 1 || cfg.BenchWebhooks < 1 || cfg.BenchClients < 1 || cfg.BenchRate < 0 {
		return errors.New("--events, --webhooks and --clients must be at least 1, --rate at least 0")
	}
	if f := cfg.BenchFormat; f != "table" && f != "json" && f != "markdown" {
		return fmt.Errorf("--format must be table, markdown or json, not %q", f)
	}
	log = slog.New(quietHandler{log.Handler(), slog.LevelWarn})
	dir, err := os.MkdirTemp("", "hookflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	embedded := cfg.DatabaseDSN == cfg.EmbeddedDatabaseDSN()
	cfg.DataDir = dir
	setup := bench.Setup{Database: strings.SplitN(cfg.DatabaseDSN, "://", 2)[0]}
	if embedded {
		cfg.DatabaseDSN = cfg.EmbeddedDatabaseDSN()
		setup.Database = "embedded SQLite file"
	}
	cfg.AllowPrivateNetworks = true // the receiver is on loopback
	// Not measured, but the API checks them.
	cfg.TrackingRate, cfg.TrackingBurst = 20, 100

	cfg.TemporalAddress = cfg.BenchTemporalAddress
	setup.Temporal = "external at " + cfg.TemporalAddress
	if cfg.TemporalAddress == "" {
		addr, err := devstack.FreeLoopbackAddr()
		if err != nil {
			return err
		}
		tsrv, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
			Addr: addr, DataDir: dir, Namespace: cfg.TemporalNamespace,
			SearchAttributes: workflows.SearchAttributes(), Logger: log, LogLevel: slog.LevelError,
		})
		if err != nil {
			return err
		}
		defer tsrv.Stop() //nolint:errcheck // the report is out
		cfg.TemporalAddress = tsrv.Addr()
		setup.Temporal = "in-process on a SQLite file (as hookflow dev)"
	}

	store, err := openStore(ctx, log, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	key, err := signingKey(cfg)
	if err != nil {
		return err
	}
	token, err := keyfile.RandomToken(32)
	if err != nil {
		return err
	}
	log = withSecrets(log, token)
	reg := telemetry.NewRegistry()
	tc, closeTemporal, err := dialTemporal(log, cfg, reg)
	if err != nil {
		return err
	}
	defer closeTemporal()
	w := newWorker(ctx, log, cfg, store, tc, key, reg)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	srv, err := newAPIServer(cfg, store, tc, key, token, reg)
	if err != nil {
		return err
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(serveCtx, log, "API", server.ProblemListener(ln), srv.Handler(), apiTimeouts)
	}()
	stopBackground := startAPIBackground(serveCtx, log, srv)
	defer func() {
		stopServing()
		<-served
		stopBackground()
	}()

	if cfg.BenchCPUProfile != "" {
		stop, err := startCPUProfile(cfg.BenchCPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep, err := bench.Run(ctx, bench.Options{
		API:      apiclient.Client{BaseURL: cfg.PublicURL, Token: token},
		Temporal: tc,
		Signer:   signing.Signer{Keys: &key},
		Events:   cfg.BenchEvents, Webhooks: cfg.BenchWebhooks, Clients: cfg.BenchClients,
		Rate: cfg.BenchRate, Batch: cfg.BenchBatchIngest || cfg.BenchBatch, SkipRefs: cfg.BenchSkipReferences || cfg.BenchBatch,
		Batched:  cfg.BenchBatch,
		Progress: progress,
		Describe: setup,
	})
	if err != nil {
		return err
	}
	switch cfg.BenchFormat {
	case "json":
		return rep.WriteJSON(out)
	case "markdown":
		return rep.WriteMarkdown(out)
	}
	return rep.WriteTable(out)
}

// quietHandler passes on only records at min and above: the benchmark's
// own output is the progress bar and the report, and only warnings from
// the system under test belong beside them.
type quietHandler struct {
	slog.Handler
	min slog.Level
}

func (h quietHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min && h.Handler.Enabled(ctx, level)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as), h.min}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name), h.min}
}

// startCPUProfile profiles the process's CPU into file until stop is
// called: bench runs everything in this process, so the profile shows
// Temporal's, the worker's and the API's share alike.
func startCPUProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
