package config

import "time"

var (
	all       = []string{CmdServer, CmdWorker, CmdMigrate, CmdDev}
	apiCmds   = []string{CmdServer, CmdDev}
	workCmds  = []string{CmdWorker, CmdDev}
	tempCmds  = []string{CmdServer, CmdWorker, CmdDev}
	storeCmds = all
)

// Settings lists every setting, in the order the README documents them.
func Settings() []Setting {
	return []Setting{
		{Flag: "database-dsn", Env: "HOOKFLOW_DATABASE_DSN", Default: "", Commands: storeCmds,
			Usage: "database: mysql://user:pass@tcp(host:3306)/db or sqlite://path (default sqlite://<data-dir>/hookflow.db)",
			bind:  stringVar(func(c *Config) *string { return &c.DatabaseDSN })},
		{Flag: "db-max-open-conns", Env: "HOOKFLOW_DB_MAX_OPEN_CONNS", Default: "20", Commands: storeCmds,
			Usage: "most open database connections (SQLite always uses 1)",
			bind:  intVar(func(c *Config) *int { return &c.DBMaxOpenConns })},
		{Flag: "db-max-idle-conns", Env: "HOOKFLOW_DB_MAX_IDLE_CONNS", Default: "10", Commands: storeCmds,
			Usage: "most idle database connections kept",
			bind:  intVar(func(c *Config) *int { return &c.DBMaxIdleConns })},
		{Flag: "db-conn-max-lifetime", Env: "HOOKFLOW_DB_CONN_MAX_LIFETIME", Default: "30m", Commands: storeCmds,
			Usage: "longest a database connection is reused",
			bind:  durationVar(func(c *Config) *time.Duration { return &c.DBConnMaxLifetime })},
		{Flag: "data-dir", Env: "HOOKFLOW_DATA_DIR", Default: ".hookflow", Commands: all,
			Usage: "directory for the embedded database and generated keys",
			bind:  stringVar(func(c *Config) *string { return &c.DataDir })},
		{Flag: "api-addr", Env: "HOOKFLOW_API_ADDR", Default: "127.0.0.1:8080", Commands: apiCmds,
			Usage: "listen address of the API and tracking endpoints",
			bind:  stringVar(func(c *Config) *string { return &c.APIAddr })},
		{Flag: "api-token", Env: "HOOKFLOW_API_TOKEN", Default: "", Commands: apiCmds,
			Usage: "bearer token every management call must present (required unless --generate-api-token)",
			bind:  stringVar(func(c *Config) *string { return &c.APIToken })},
		{Flag: "generate-api-token", Env: "HOOKFLOW_GENERATE_API_TOKEN", Default: "false", Commands: apiCmds,
			Usage: "without an API token, generate one, keep it in the data directory and print it once",
			bind:  boolVar(func(c *Config) *bool { return &c.GenerateAPIToken })},
		{Flag: "public-url", Env: "HOOKFLOW_PUBLIC_URL", Default: "", Commands: apiCmds,
			Usage: "base URL of tracking links in e-mails (default http://<api-addr>)",
			bind:  stringVar(func(c *Config) *string { return &c.PublicURL })},
		{Flag: "max-body-bytes", Env: "HOOKFLOW_MAX_BODY_BYTES", Default: "1048576", Commands: apiCmds,
			Usage: "largest request body accepted; larger ones get 413",
			bind:  int64Var(func(c *Config) *int64 { return &c.MaxBodyBytes })},
		{Flag: "allow-private-networks", Env: "HOOKFLOW_ALLOW_PRIVATE_NETWORKS", Default: "false", Commands: tempCmds,
			Usage: "allow callback URLs on loopback, private and other non-global addresses",
			bind:  boolVar(func(c *Config) *bool { return &c.AllowPrivateNetworks })},
		{Flag: "migrate", Env: "HOOKFLOW_MIGRATE", Default: "false", Commands: apiCmds,
			Usage: "run database migrations before serving",
			bind:  boolVar(func(c *Config) *bool { return &c.MigrateOnStart })},
		{Flag: "tracking-secret", Env: "HOOKFLOW_TRACKING_SECRET", Default: "", Commands: apiCmds,
			Usage: "HMAC key of tracking links (default: generated once and kept in the data directory)",
			bind:  stringVar(func(c *Config) *string { return &c.TrackingSecret })},
		{Flag: "trusted-proxies", Env: "HOOKFLOW_TRUSTED_PROXIES", Default: "", Commands: apiCmds,
			Usage: "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed for tracking hits",
			bind:  stringVar(func(c *Config) *string { return &c.TrustedProxies })},
	}
}
