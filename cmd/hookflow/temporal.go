package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
)

// dialTemporal returns a client of the configured Temporal frontend, whose
// metrics (and those of workers made with it) go to reg, and the function
// that closes it. It connects on first use, so the API keeps accepting and
// storing events while Temporal is down; the sweeper starts their
// deliveries later.
func dialTemporal(log *slog.Logger, cfg config.Config, reg prometheus.Registerer) (client.Client, func(), error) {
	metrics, stopMetrics := telemetry.TemporalMetrics(reg, log)
	opts := client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         tlog.NewStructuredLogger(log.With("component", "temporal")),
		MetricsHandler: metrics,
	}
	if cfg.TemporalTLS || cfg.TemporalAPIKey != "" || cfg.TemporalTLSCert != "" {
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			stopMetrics.Close()
			return nil, nil, fmt.Errorf("Temporal client certificate: %w", err)
		}
		opts.ConnectionOptions.TLS.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		stopMetrics.Close()
		return nil, nil, fmt.Errorf("Temporal client for %s: %w", cfg.TemporalAddress, err)
	}
	return c, func() {
		c.Close()
		stopMetrics.Close()
	}, nil
}

// signingKey is the configured v1a key, or one kept in the data directory.
func signingKey(cfg config.Config) (signing.KeyPair, error) {
	if cfg.SigningKey != "" {
		return signing.ParseSecretKey(cfg.SigningKey)
	}
	return signing.LoadOrCreateKeyPair(filepath.Join(cfg.DataDir, "signing-key"))
}
