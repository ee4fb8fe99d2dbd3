// Command hookflow runs the webhook delivery engine: the API server, the
// Temporal worker, database migrations, or all of it at once for development.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hookflow: durable, signed webhook delivery on Temporal

Usage:
  hookflow server   [flags]   run the management API and tracking endpoints
  hookflow worker   [flags]   run the Temporal worker that verifies and delivers
  hookflow migrate  [flags]   bring the database schema up to date
  hookflow dev      [flags]   run everything in one process for development:
                              Temporal, its Web UI, the worker and the API
  hookflow receiver [flags]   run an example receiver that verifies and prints webhooks
  hookflow keygen             print a new signing key (HOOKFLOW_SIGNING_KEY) and its public key
  hookflow version            print the version

Every flag can also be set by its environment variable; run
"hookflow <command> -h" for the flags of one command.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "server":
		err = runServer(ctx, log, args)
	case "worker":
		err = runWorker(ctx, log, args)
	case "migrate":
		err = runMigrate(ctx, log, args)
	case "dev":
		err = runDev(ctx, log, args)
	case "receiver":
		err = runReceiver(ctx, log, args)
	case "keygen":
		err = runKeygen(os.Stdout)
	case "version":
		fmt.Println("hookflow", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		log.Error("hookflow stopped", "err", err)
		os.Exit(1)
	}
}
