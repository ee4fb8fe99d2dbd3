// Package devstack runs, inside one process, what hookflow needs around it
// for development: a real Temporal server on SQLite, the Temporal Web UI,
// and a demo receiver. "hookflow dev" wires them to the worker and API.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// TemporalDBFile is the name of Temporal's SQLite database in the data
// directory, and TemporalVisibilityDBFile that of its visibility store (the
// records the Web UI lists), kept apart so that its writes, a third of the
// server's work, do not queue behind the executions' on one connection.
// A data directory made before they were apart keeps both in TemporalDBFile.
const (
	TemporalDBFile           = "temporal.db"
	TemporalVisibilityDBFile = "temporal-visibility.db"
)

// ClusterName is the name of the Temporal cluster every node hookflow
// configures belongs to: namespaces written to the store name it as active.
const ClusterName = "active"

// TemporalOptions configure the embedded Temporal server.
type TemporalOptions struct {
	// Addr is the host:port the frontend (the address clients dial) listens on.
	Addr string
	// DataDir holds TemporalDBFile, so state survives a restart. Unused
	// when Ephemeral.
	DataDir string
	// Ephemeral keeps everything in memory: a restart starts afresh.
	Ephemeral bool
	// SQLiteAttributes are the connect attributes of the SQLite file; nil =
	// the tuned defaults (see sqliteConfig). Unused when Ephemeral.
	SQLiteAttributes map[string]string
	// Namespace is created if missing, with SearchAttributes registered.
	Namespace        string
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's log at LogLevel and above (Temporal is
	// chatty at info level).
	Logger   *slog.Logger
	LogLevel slog.Level
}

// Temporal is a running embedded Temporal server.
type Temporal struct {
	srv      temporal.Server
	addr     string // what clients dial
	dbPath   string // "" when ephemeral
	logLevel *slog.LevelVar
}

// StartTemporal starts the server and returns once its frontend answers for
// the namespace. ctx bounds only the start.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	host, port, err := splitAddr(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("Temporal address: %w", err)
	}
	// Fail with a clear message when the port is taken, before the server
	// spends seconds starting only to fail binding it.
	if err := checkFree(opts.Addr); err != nil {
		return nil, err
	}

	sqlCfg, visibilityCfg, dbPath, err := sqliteConfig(opts)
	if err != nil {
		return nil, err
	}
	ns, err := sqliteschema.NewNamespaceConfig(ClusterName, opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", opts.Namespace, err)
	}
	// A no-op for a namespace that exists: its search attributes are then
	// whatever it has, and worker.EnsureSearchAttributes adds missing ones.
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", opts.Namespace, err)
	}

	cfg, hosts, err := serverConfig(host, port, sqlCfg, visibilityCfg)
	if err != nil {
		return nil, err
	}
	level := new(slog.LevelVar)
	level.Set(opts.LogLevel)
	srv, err := startServer(cfg, newTemporalLogger(opts.Logger, level), devDynamicConfig(), temporal.WithStaticHosts(hosts))
	if err != nil {
		return nil, err
	}
	t := &Temporal{srv: srv, addr: cfg.PublicClient.HostPort, dbPath: dbPath, logLevel: level}
	if err := t.awaitNamespace(ctx, opts.Namespace); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return t, nil
}

// Addr is the frontend address clients dial.
func (t *Temporal) Addr() string { return t.addr }

// DBPath is the SQLite file Temporal keeps its state in, "" when ephemeral.
func (t *Temporal) DBPath() string { return t.dbPath }

// Stop stops every service; in-flight calls fail. Its log drops to errors
// first: services going down one by one warn about each other.
func (t *Temporal) Stop() error {
	if t.logLevel.Level() < slog.LevelError {
		t.logLevel.Set(slog.LevelError)
	}
	return t.srv.Stop()
}

// awaitNamespace polls until the frontend serves the namespace: Start
// returns when the services run, not when they have loaded their caches.
func (t *Temporal) awaitNamespace(ctx context.Context, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := client.NewLazyClient(client.Options{HostPort: t.addr, Namespace: namespace, Logger: quietSDKLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = c.WorkflowService().DescribeNamespace(callCtx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		callCancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Temporal frontend %s did not serve namespace %s: %w", t.addr, namespace, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// sqliteConfig is the persistence store and the visibility store: files in
// the data directory (created with the schema on first use), or one private
// in-memory database.
func sqliteConfig(opts TemporalOptions) (store, visibility *config.SQL, path string, err error) {
	if opts.Ephemeral {
		store := &config.SQL{
			PluginName:   sqliteplugin.PluginName,
			DatabaseName: "hookflow-dev-" + strconv.FormatUint(rand.Uint64(), 36),
			// The plugin creates the schema itself for in-memory databases.
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}
		return store, store, "", nil
	}
	if opts.DataDir == "" {
		return nil, nil, "", errors.New("Temporal needs a data directory unless ephemeral")
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, nil, "", fmt.Errorf("create data directory: %w", err)
	}
	if path, err = filepath.Abs(filepath.Join(opts.DataDir, TemporalDBFile)); err != nil {
		return nil, nil, "", err
	}
	visibilityPath := filepath.Join(filepath.Dir(path), TemporalVisibilityDBFile)
	// A store made before the visibility store was apart has it inside.
	madeBefore, err := fileExists(path)
	if err != nil {
		return nil, nil, "", err
	}
	visibilityApart, err := fileExists(visibilityPath)
	if err != nil {
		return nil, nil, "", err
	}
	apart := visibilityApart || !madeBefore
	if store, err = sqliteFile(opts, path); err != nil {
		return nil, nil, "", err
	}
	visibility = store
	if apart {
		if visibility, err = sqliteFile(opts, visibilityPath); err != nil {
			return nil, nil, "", err
		}
	}
	return store, visibility, path, nil
}

// sqliteFile is the SQLite file at path, created with Temporal's schema if
// it does not exist. (The schema has the execution and the visibility
// tables; a visibility file leaves the former empty.)
func sqliteFile(opts TemporalOptions, path string) (*config.SQL, error) {
	cfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		// Plain keys other than SQLite's URI parameters become
		// "_pragma=key=value" (a "_"-prefixed key would be an unknown pragma,
		// silently ignored). WAL with synchronous=NORMAL syncs at checkpoints
		// instead of every commit: it survives a crash of the process, which
		// is what a dev server needs; a checkpoint every 10,000 pages (40
		// MB of log) instead of SQLite's 1,000 syncs a tenth as often, and
		// each sync holds up every write behind it. MaxConns stays unset:
		// one connection a file, which the plugin shares between all services.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "NORMAL", "wal_autocheckpoint": "10000"},
	}
	if opts.SQLiteAttributes != nil {
		cfg.ConnectAttributes = maps.Clone(opts.SQLiteAttributes)
	}
	exists, err := fileExists(path)
	if err != nil {
		return nil, err
	}
	if exists {
		return cfg, nil
	}
	if err := sqliteschema.SetupSchema(cfg); err != nil {
		// Leave no half-made database for the next start to trust.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		return nil, fmt.Errorf("create Temporal schema in %s: %w", path, err)
	}
	return cfg, nil
}

// fileExists reports whether path exists.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// visibilityStore names the visibility store's data store.
const visibilityStore = "sqlite-visibility"

// serverConfig is a single-node cluster: the frontend on host:port, the
// other services on free loopback ports, found through static hosts rather
// than gossip (no membership ports, no join delay).
func serverConfig(host string, port int, sqlCfg, visibilityCfg *config.SQL) (*config.Config, map[primitives.ServiceName]static.Hosts, error) {
	dialHost := host
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		dialHost = "127.0.0.1"
	}
	frontendAddr := net.JoinHostPort(dialHost, strconv.Itoa(port))
	bindIP := host
	if bindIP == "" {
		bindIP = "0.0.0.0"
	}

	services := map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{GRPCPort: port, BindOnIP: bindIP}},
	}
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(frontendAddr),
	}
	for _, name := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		p, err := freePort()
		if err != nil {
			return nil, nil, err
		}
		services[string(name)] = config.Service{RPC: config.RPC{GRPCPort: p, BindOnIP: "127.0.0.1"}}
		hosts[name] = static.SingleLocalHost(net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}

	cfg := baseConfig(frontendAddr, frontendAddr, config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  visibilityStore,
		NumHistoryShards: 1, // fixed once the database exists
		DataStores: map[string]config.DataStore{
			sqliteplugin.PluginName: {SQL: sqlCfg},
			visibilityStore:         {SQL: visibilityCfg},
		},
	})
	cfg.Services = services
	return cfg, hosts, nil
}

// baseConfig is what every node hookflow configures shares: one cluster,
// named ClusterName, whose address in the cluster metadata is clusterAddr
// and whose clients (the server's own worker service among them) dial
// frontendAddr; membership broadcast on loopback; archival off.
func baseConfig(frontendAddr, clusterAddr string, persistence config.Persistence) *config.Config {
	var cfg config.Config
	cfg.Global.Membership.MaxJoinDuration = 30 * time.Second
	cfg.Global.Membership.BroadcastAddress = "127.0.0.1"
	cfg.Persistence = persistence
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        ClusterName,
		CurrentClusterName:       ClusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			ClusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: clusterAddr},
		},
	}
	cfg.DCRedirectionPolicy.Policy = "noop"
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient.HostPort = frontendAddr
	return &cfg
}

// startServer builds and starts a Temporal server of cfg's services with
// the authorization cfg names (none, unless configured).
func startServer(cfg *config.Config, logger temporalLogger, dc dynamicconfig.StaticClient, extra ...temporal.ServerOption) (temporal.Server, error) {
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, err
	}
	opts := append([]temporal.ServerOption{
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(cfg),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dc),
	}, extra...)
	srv, err := temporal.NewServer(opts...)
	if err != nil {
		return nil, fmt.Errorf("Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop()
		return nil, fmt.Errorf("start Temporal server: %w", err)
	}
	return srv, nil
}

// devDynamicConfig tunes the server for one developer's node: one
// partition per task queue (the default four make a lone poller wait on
// forwarding between partitions), a modest history cache, and visibility
// queries not throttled below what the Web UI's auto-refresh needs.
func devDynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():           1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():          1,
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8192,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}

func splitAddr(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: need a port number 1-65535", addr)
	}
	return host, port, nil
}

func checkFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("Temporal address %s: %w", addr, err)
	}
	return ln.Close()
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the server binds it; on a developer's machine it won't.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
