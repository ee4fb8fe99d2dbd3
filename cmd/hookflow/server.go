package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/console"
	"github.com/hookflow/hookflow/keyfile"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
	"github.com/hookflow/hookflow/tracking"
	"github.com/hookflow/hookflow/workflows"
)

func runServer(ctx context.Context, log *slog.Logger, cfg config.Config) error {
	token, err := apiToken(log, cfg)
	if err != nil {
		return err
	}
	log = withSecrets(log, token) // it may have been read from the data directory
	slog.SetDefault(log)
	store, err := openStore(ctx, log, cfg, cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.AllowPrivateNetworks {
		log.Warn("callback URLs on private and loopback networks are allowed (HOOKFLOW_ALLOW_PRIVATE_NETWORKS)")
	}
	key, err := signingKey(cfg)
	if err != nil {
		return err
	}
	reg := telemetry.NewRegistry()
	tc, closeTemporal, err := dialTemporal(log, cfg, reg)
	if err != nil {
		return err
	}
	defer closeTemporal()
	srv, err := newAPIServer(cfg, store, tc, key, token, reg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return err
	}
	stopBackground := startAPIBackground(ctx, log, srv)
	err = serveHTTP(ctx, log, "API", server.ProblemListener(ln), srv.Handler(), apiTimeouts)
	stopBackground()
	return err
}

// startAPIBackground runs the API server's sweeper. The returned function,
// called once HTTP is drained, stops the sweeper (which gives up its
// lease) and the dispatcher; events not started yet are the next
// sweeper's.
func startAPIBackground(ctx context.Context, log *slog.Logger, srv *server.Server) (stop func()) {
	sweepCtx, stopSweeping := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		srv.SweepUndispatched(sweepCtx, server.DefaultSweepOptions())
	}()
	return func() {
		stopSweeping()
		<-swept
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("API background work did not stop in time", "error", err)
		}
	}
}

// newAPIServer assembles the API server: the API of "server" and "dev". It
// serves reg, the process's metrics, with its own in it.
func newAPIServer(cfg config.Config, store *models.Store, tc client.Client, key signing.KeyPair, token string, reg *prometheus.Registry) (*server.Server, error) {
	trackingSecret, err := trackingSecret(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.TrackingRate <= 0 || cfg.TrackingBurst < 1 {
		return nil, fmt.Errorf("HOOKFLOW_TRACKING_RATE must be above 0 and HOOKFLOW_TRACKING_BURST at least 1 (got %v and %d)", cfg.TrackingRate, cfg.TrackingBurst)
	}
	return server.New(server.Options{
		Store:        store,
		APIToken:     token,
		PublicURL:    strings.TrimSuffix(cfg.PublicURL, "/"),
		MaxBodyBytes: cfg.MaxBodyBytes,
		Network:      netpolicy.Policy{AllowPrivate: cfg.AllowPrivateNetworks},
		Tracking:     tracking.NewTokens(trackingSecret),
		Workflows: workflows.Starter{
			Client:    tc,
			TaskQueue: cfg.TaskQueue,
		},
		SigningKeys:    []signing.PublicKey{key.Public()},
		TrustedProxies: splitList(cfg.TrustedProxies),
		TrackingRate:   cfg.TrackingRate,
		TrackingBurst:  cfg.TrackingBurst,
		Metrics:        reg,
		Console: console.New(console.Options{
			Store:      store,
			SessionTTL: cfg.ConsoleSessionTTL,
			TemporalUI: strings.TrimSuffix(cfg.TemporalUIURL, "/"),
			Namespace:  cfg.TemporalNamespace,
			// Behind a proxy that ends TLS the request is plain HTTP,
			// but the browser's is not.
			SecureCookie: strings.HasPrefix(cfg.PublicURL, "https://"),
		}),
	}), nil
}

// apiToken returns the configured token, or with --generate-api-token one
// kept in the data directory. The token itself is never logged.
func apiToken(log *slog.Logger, cfg config.Config) (string, error) {
	if cfg.APIToken != "" {
		return cfg.APIToken, nil
	}
	if !cfg.GenerateAPIToken {
		return "", errors.New("no API token: set HOOKFLOW_API_TOKEN, or pass --generate-api-token to generate one")
	}
	token, path, created, err := keptAPIToken(cfg)
	if err != nil {
		return "", err
	}
	if created {
		fmt.Printf("Generated an API token and saved it in %s:\n\n    %s\n\n", path, token)
	} else {
		log.Info("using the API token saved in the data directory", "path", path)
	}
	return token, nil
}

// keptAPIToken is the API token kept in the data directory, generated on
// first use.
func keptAPIToken(cfg config.Config) (token, path string, created bool, err error) {
	path = filepath.Join(cfg.DataDir, "api-token")
	token, created, err = keyfile.LoadOrCreate(path, func() (string, error) { return keyfile.RandomToken(32) })
	if err != nil {
		return "", path, false, fmt.Errorf("API token: %w", err)
	}
	return token, path, created, nil
}

func trackingSecret(cfg config.Config) (string, error) {
	if cfg.TrackingSecret != "" {
		return cfg.TrackingSecret, nil
	}
	secret, _, err := keyfile.LoadOrCreate(filepath.Join(cfg.DataDir, "tracking-secret"), func() (string, error) { return keyfile.RandomToken(32) })
	return secret, err
}

// httpTimeouts bound how long a client may hold a connection: to send its
// request's headers, its whole request, to take the answer, and idle
// between requests. Zero is no limit.
type httpTimeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// apiTimeouts are the API's. Request bodies are at most a few MB, so 30 s
// suffices to send one; the slowest answer is a verify-now.
var apiTimeouts = httpTimeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      server.VerifyNowTimeout + 15*time.Second,
	Idle:       60 * time.Second,
}

// serveHTTP serves h on ln until ctx ends, then drains in-flight requests.
func serveHTTP(ctx context.Context, log *slog.Logger, name string, ln net.Listener, h http.Handler, limits httpTimeouts) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeader,
		ReadTimeout:       limits.Read,
		WriteTimeout:      limits.Write,
		IdleTimeout:       limits.Idle,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info(name+" listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// splitList parses a comma-separated setting.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
