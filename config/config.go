// Package config reads hookflow's settings from environment variables, with
// command-line flags overriding them. Every setting is declared once, in
// settings, which also feeds the README's configuration table.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Config is every setting of every subcommand.
type Config struct {
	DatabaseDSN          string
	DBMaxOpenConns       int
	DBMaxIdleConns       int
	DBConnMaxLifetime    time.Duration
	DataDir              string
	LogFormat            string
	APIAddr              string
	APIToken             string
	GenerateAPIToken     bool
	PublicURL            string
	MaxBodyBytes         int64
	AllowPrivateNetworks bool
	MigrateOnStart       bool
	TrackingSecret       string
	TrustedProxies       string
	TrackingRate         float64
	TrackingBurst        int
	ConsoleSessionTTL    time.Duration
	TemporalUIURL        string

	TemporalAddress   string
	TemporalNamespace string
	TemporalAPIKey    string
	TemporalTLSCert   string
	TemporalTLSKey    string
	TemporalTLS       bool
	TaskQueue         string

	SigningKey          string
	DeliveryTimeout     time.Duration
	RetryWindow         time.Duration
	RetryFirstDelay     time.Duration
	RetryMaxDelay       time.Duration
	OutageRetryMaxDelay time.Duration
	VerificationWindow  time.Duration
	ReconcileInterval   time.Duration
	ReconcileAfter      time.Duration
	DisableAfter        time.Duration
	ProbeMinInterval    time.Duration
	ProbeMaxInterval    time.Duration
	MaxResponseBytes    int64
	Retention           time.Duration
	MetricsAddr         string

	// hookflow dev only.
	DevTemporalAddr string
	DevUIAddr       string
	DevEphemeral    bool
	DevDemo         bool

	// hookflow bench only.
	BenchEvents, BenchWebhooks, BenchClients int
	BenchRate                                float64
	BenchBatchIngest, BenchSkipReferences    bool
	BenchBatch                               bool
	BenchFormat, BenchTemporalAddress        string
	BenchCPUProfile                          string

	// hookflow receiver only.
	ReceiverAddr            string
	ReceiverSecret          string
	ReceiverPublicKey       string
	ReceiverVerificationDir string
}

// Setting is one configuration knob: its flag, its environment variable,
// its default and which subcommands read it.
type Setting struct {
	Flag, Env, Default, Usage string
	Commands                  []string
	bind                      func(fs *flag.FlagSet, s Setting, c *Config) error
}

// Subcommands that take settings.
const (
	CmdServer  = "server"
	CmdWorker  = "worker"
	CmdMigrate = "migrate"
	CmdDev     = "dev"
)

// CmdReceiver is the example receiver (hookflow receiver).
const CmdReceiver = "receiver"

// CmdBench is the benchmark (hookflow bench).
const CmdBench = "bench"

// Load parses args for the named subcommand on top of the environment.
func Load(command string, args []string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("hookflow "+command, flag.ContinueOnError)
	for _, s := range Settings() {
		if !s.appliesTo(command) {
			continue
		}
		if err := s.bind(fs, s, &c); err != nil {
			return c, err
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.DatabaseDSN == "" {
		c.DatabaseDSN = c.EmbeddedDatabaseDSN()
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.APIAddr
	}
	return c, nil
}

func (s Setting) appliesTo(command string) bool {
	for _, c := range s.Commands {
		if c == command {
			return true
		}
	}
	return false
}

func envOr(s Setting) string {
	if v, ok := os.LookupEnv(s.Env); ok {
		return v
	}
	return s.Default
}

func stringVar(field func(*Config) *string) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		fs.StringVar(field(c), s.Flag, envOr(s), s.Usage)
		return nil
	}
}

func boolVar(field func(*Config) *bool) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		v, err := strconv.ParseBool(envOr(s))
		if err != nil {
			return fmt.Errorf("%s: %w", s.Env, err)
		}
		fs.BoolVar(field(c), s.Flag, v, s.Usage)
		return nil
	}
}

func intVar(field func(*Config) *int) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		v, err := strconv.Atoi(envOr(s))
		if err != nil {
			return fmt.Errorf("%s: %w", s.Env, err)
		}
		fs.IntVar(field(c), s.Flag, v, s.Usage)
		return nil
	}
}

func float64Var(field func(*Config) *float64) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		v, err := strconv.ParseFloat(envOr(s), 64)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Env, err)
		}
		fs.Float64Var(field(c), s.Flag, v, s.Usage)
		return nil
	}
}

func int64Var(field func(*Config) *int64) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		v, err := strconv.ParseInt(envOr(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Env, err)
		}
		fs.Int64Var(field(c), s.Flag, v, s.Usage)
		return nil
	}
}

func durationVar(field func(*Config) *time.Duration) func(*flag.FlagSet, Setting, *Config) error {
	return func(fs *flag.FlagSet, s Setting, c *Config) error {
		v, err := time.ParseDuration(envOr(s))
		if err != nil {
			return fmt.Errorf("%s: %w", s.Env, err)
		}
		fs.DurationVar(field(c), s.Flag, v, s.Usage)
		return nil
	}
}

// Log formats (HOOKFLOW_LOG_FORMAT).
const (
	LogFormatJSON = "json"
	LogFormatText = "text"
)

// Secrets are the settings no log may show, those set.
func (c Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.APIToken, c.TrackingSecret, c.SigningKey, c.TemporalAPIKey, c.ReceiverSecret} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// EmbeddedDatabaseDSN is the default database: a SQLite file in the data
// directory.
func (c Config) EmbeddedDatabaseDSN() string {
	return "sqlite://" + filepath.Join(c.DataDir, "hookflow.db")
}
