package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/receiver"
)

// runReceiver runs the example receiver: it verifies each webhook, prints
// one line per webhook on stdout and serves the verification file.
func runReceiver(ctx context.Context, log *slog.Logger, cfg config.Config) error {
	opts := receiver.Options{
		Secret:          cfg.ReceiverSecret,
		PublicKey:       cfg.ReceiverPublicKey,
		VerificationDir: cfg.ReceiverVerificationDir,
		Out:             os.Stdout,
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	if opts.VerificationDir != "" {
		if info, err := os.Stat(opts.VerificationDir); err != nil || !info.IsDir() {
			log.Warn("the verification directory is not readable yet; files placed there later are served", "dir", opts.VerificationDir)
		}
	}
	srv := &http.Server{Addr: cfg.ReceiverAddr, Handler: receiver.Handler(opts), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("receiver listening", "addr", cfg.ReceiverAddr, "v1", opts.Secret != "", "v1a", opts.PublicKey != "", "verification_dir", opts.VerificationDir)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
