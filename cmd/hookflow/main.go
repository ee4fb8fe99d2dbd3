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

	"github.com/hookflow/hookflow/config"
)

const usage = `hookflow: durable, signed webhook delivery on Temporal

Usage:
  hookflow server   [flags]   run the management API and tracking endpoints
  hookflow worker   [flags]   run the Temporal worker that verifies and delivers
  hookflow migrate  [flags]   bring the database schema up to date
  hookflow dev      [flags]   run everything in one process for development:
                              Temporal, its Web UI, the worker and the API
  hookflow receiver [flags]   run an example receiver that verifies and prints webhooks
  hookflow bench    [flags]   measure hookflow on this machine against Temporal's floor
                              and a plain worker pool (see docs/benchmarks.md)
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
	// Until a command has read its settings, it logs JSON.
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "server":
		log, err = run(ctx, log, config.CmdServer, args, runServer)
	case "worker":
		log, err = run(ctx, log, config.CmdWorker, args, runWorker)
	case "migrate":
		log, err = run(ctx, log, config.CmdMigrate, args, runMigrate)
	case "dev":
		log, err = run(ctx, log, config.CmdDev, args, runDev)
	case "receiver":
		log, err = run(ctx, log, config.CmdReceiver, args, runReceiver)
	case "bench":
		log, err = run(ctx, log, config.CmdBench, args, runBench)
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
		log.Error("hookflow stopped", "error", err)
		os.Exit(1)
	}
}

// command runs one subcommand with its settings and logger.
type command func(ctx context.Context, log *slog.Logger, cfg config.Config) error

// run reads the settings of the named command, makes its logger (slog's
// default too, for the packages that log through it) and runs it. It
// returns the logger for what is left to log.
func run(ctx context.Context, log *slog.Logger, name string, args []string, cmd command) (*slog.Logger, error) {
	cfg, err := config.Load(name, args)
	if err != nil {
		return log, err
	}
	cmdLog, err := newLogger(os.Stderr, cfg.LogFormat, cfg.Secrets()...)
	if err != nil {
		return log, err
	}
	slog.SetDefault(cmdLog)
	return cmdLog, cmd(ctx, cmdLog, cfg)
}
