package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"path/filepath"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/signing"
)

// dialTemporal returns a client of the configured Temporal frontend. It
// connects on first use, so the API keeps accepting and storing events
// while Temporal is down; the sweeper starts their deliveries later.
func dialTemporal(log *slog.Logger, cfg config.Config) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal")),
	}
	if cfg.TemporalTLS || cfg.TemporalAPIKey != "" || cfg.TemporalTLSCert != "" {
		opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.TemporalTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TemporalTLSCert, cfg.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("Temporal client certificate: %w", err)
		}
		opts.ConnectionOptions.TLS.Certificates = []tls.Certificate{cert}
	}
	if cfg.TemporalAPIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.TemporalAPIKey)
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("Temporal client for %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}

// signingKey is the configured v1a key, or one kept in the data directory.
func signingKey(cfg config.Config) (signing.KeyPair, error) {
	if cfg.SigningKey != "" {
		return signing.ParseSecretKey(cfg.SigningKey)
	}
	return signing.LoadOrCreateKeyPair(filepath.Join(cfg.DataDir, "signing-key"))
}
