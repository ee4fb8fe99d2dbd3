package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/console"
	"github.com/hookflow/hookflow/devstack"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/workflows"
)

// runDev runs everything in one process: an embedded Temporal server on
// SQLite, the Temporal Web UI, the worker and the API, on loopback.
func runDev(ctx context.Context, log *slog.Logger, cfg config.Config) (err error) {
	began := time.Now()
	// Receivers under development run on this machine.
	cfg.AllowPrivateNetworks = true

	// Bind the HTTP ports first: a port in use fails now, not after
	// Temporal has started. Serving starts once everything is ready.
	apiLn, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("API address: %w", err)
	}
	defer apiLn.Close()
	uiLn, err := net.Listen("tcp", cfg.DevUIAddr)
	if err != nil {
		return fmt.Errorf("Web UI address: %w", err)
	}
	defer uiLn.Close()

	if cfg.DevEphemeral && cfg.DatabaseDSN == cfg.EmbeddedDatabaseDSN() {
		dir, err := os.MkdirTemp("", "hookflow-dev-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DatabaseDSN = "sqlite://" + filepath.Join(dir, "hookflow.db")
	}

	tsrv, err := devstack.StartTemporal(ctx, devstack.TemporalOptions{
		Addr:             cfg.DevTemporalAddr,
		DataDir:          cfg.DataDir,
		Ephemeral:        cfg.DevEphemeral,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes(),
		Logger:           log,
		LogLevel:         slog.LevelWarn,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := tsrv.Stop(); err != nil {
			log.Error("stopping Temporal", "error", err)
		}
		log.Info("Temporal stopped")
	}()
	cfg.TemporalAddress = tsrv.Addr()

	store, err := openStore(ctx, log, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	key, err := signingKey(cfg)
	if err != nil {
		return err
	}
	token, tokenNote, err := devAPIToken(cfg)
	if err != nil {
		return err
	}
	log = withSecrets(log, token) // it may have been read from the data directory
	slog.SetDefault(log)
	// One registry for all of it: /metrics of the API serves the API's,
	// the worker's and the Temporal SDK's metrics.
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
	defer func() {
		w.Stop()
		log.Info("worker stopped")
	}()
	log.Warn("callback URLs on loopback and private networks are allowed, so local receivers work; never do this in production")

	uiURL := "http://" + dialAddr(uiLn.Addr().String())
	cfg.TemporalUIURL = uiURL // the console links deliveries to their workflows in this UI
	srv, err := newAPIServer(cfg, store, tc, key, token, reg)
	if err != nil {
		return err
	}
	ui, err := devstack.NewUI(devstack.UIOptions{TemporalAddr: tsrv.Addr(), Namespace: cfg.TemporalNamespace})
	if err != nil {
		return err
	}

	apiURL := "http://" + dialAddr(apiLn.Addr().String())
	// The banner's one-time link signs the developer in to the console as
	// the operator, without pasting the token.
	loginPath, err := console.NewLoginLink(ctx, store, models.ConsoleGrant{AccountID: models.DefaultAccountID, Operator: true})
	if err != nil {
		return fmt.Errorf("console login link: %w", err)
	}
	printBanner(os.Stdout, banner{
		APIURL:       apiURL,
		Token:        token,
		TokenNote:    tokenNote,
		ConsoleURL:   apiURL + "/console",
		ConsoleLogin: apiURL + loginPath,
		UIURL:        uiURL + "/namespaces/" + cfg.TemporalNamespace + "/workflows",
		Temporal:     tsrv.Addr(),
		Namespace:    cfg.TemporalNamespace,
		DataDir:      absPath(cfg.DataDir),
		Ephemeral:    cfg.DevEphemeral,
	})

	// The banner comes first: once /readyz answers, it has been printed.
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served := make(chan error, 2)
	go func() {
		served <- serveHTTP(serveCtx, log, "API", server.ProblemListener(apiLn), srv.Handler(), apiTimeouts)
	}()
	// The Web UI's answers may stream; only idle and half-sent requests are cut.
	uiTimeouts := httpTimeouts{ReadHeader: apiTimeouts.ReadHeader, Idle: apiTimeouts.Idle}
	go func() { served <- serveHTTP(serveCtx, log, "Web UI", uiLn, ui, uiTimeouts) }()
	stopBackground := startAPIBackground(serveCtx, log, srv)
	log.Info("hookflow dev is ready", "startup", time.Since(began).Round(time.Millisecond))

	if cfg.DevDemo {
		demo, err := devstack.StartDemo(serveCtx, devstack.DemoOptions{APIURL: apiURL, Token: token, Out: os.Stdout})
		if err != nil {
			log.Error("demo", "error", err)
		} else {
			defer demo.Close()
		}
	}

	pending := cap(served)
	select {
	case <-ctx.Done():
	case err = <-served:
		pending--
	}
	exitOnSecondSignal(log)
	log.Info("shutting down: draining HTTP, then the worker, then Temporal")
	stopServing()
	for ; pending > 0; pending-- {
		if e := <-served; e != nil && err == nil {
			err = e
		}
	}
	stopBackground()
	return err
}

// devAPIToken is the configured token or the one kept in the data
// directory, with how the banner should show where it comes from.
func devAPIToken(cfg config.Config) (token, note string, err error) {
	if cfg.APIToken != "" {
		return cfg.APIToken, "from HOOKFLOW_API_TOKEN / --api-token", nil
	}
	token, path, _, err := keptAPIToken(cfg)
	if err != nil {
		return "", "", err
	}
	return token, "kept in " + absPath(path), nil
}

type banner struct {
	APIURL, Token, TokenNote, ConsoleURL, ConsoleLogin, UIURL, Temporal, Namespace, DataDir string
	Ephemeral                                                                               bool
}

func printBanner(out io.Writer, b banner) {
	data := b.DataDir
	if b.Ephemeral {
		data += " (ephemeral: Temporal and the database are forgotten on exit)"
	}
	fmt.Fprintf(out, `
hookflow dev is running. Ctrl-C stops it.

  API         %s
  API token   %s   (%s)
  Console     %s
  Login link  %s   (signs in once, within %s)
  Web UI      %s
  Temporal    %s   (namespace %s)
  Data        %s

  curl -H "Authorization: Bearer %s" %s/v1/databases

`, b.APIURL, b.Token, b.TokenNote, b.ConsoleURL, b.ConsoleLogin, console.LoginLinkTTL, b.UIURL, b.Temporal, b.Namespace, data, b.Token, b.APIURL)
}

// exitOnSecondSignal lets an impatient second Ctrl-C end the process
// while the first one's clean shutdown is under way.
func exitOnSecondSignal(log *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		log.Error("interrupted again: exiting without a clean shutdown")
		os.Exit(130)
	}()
}

// dialAddr turns a listen address into one to dial: an unspecified host
// (0.0.0.0, ::) becomes loopback.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
