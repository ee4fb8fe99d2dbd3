package e2e

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	postgresschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"

	"github.com/hookflow/hookflow/keyfile"
)

// envPostgresDSN points the multi-node Temporal test at a PostgreSQL server
// it may create databases on, as
// postgres://user[:password]@host:port/maintenance-db?sslmode=disable.
// CI sets it; without it that test skips, and CI fails on any skip.
const envPostgresDSN = "HOOKFLOW_TEST_POSTGRES_DSN"

// temporalDatabases creates a fresh persistence and a fresh visibility
// database for one Temporal cluster on the PostgreSQL server of
// envPostgresDSN, with Temporal's schema applied by the server module's own
// schema tool (as temporal-sql-tool setup-schema -v 0.0, then
// update-schema through every versioned directory). Both are dropped when
// the test ends, after whatever the test registered to stop before.
func temporalDatabases(t testing.TB) (persistence, visibility *config.SQL) {
	t.Helper()
	raw := os.Getenv(envPostgresDSN)
	if raw == "" {
		t.Skipf("%s is not set: this test needs a PostgreSQL server for a multi-node Temporal cluster (e.g. %s=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)", envPostgresDSN, envPostgresDSN)
	}
	u, err := url.Parse(raw)
	require.NoError(t, err, envPostgresDSN)
	require.Contains(t, []string{"postgres", "postgresql"}, u.Scheme, "%s: need a postgres:// URL", envPostgresDSN)
	maintenanceDB := strings.TrimPrefix(u.Path, "/")
	if maintenanceDB == "" {
		maintenanceDB = "postgres"
	}
	password, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[0]
	}
	suffix, err := keyfile.RandomToken(6)
	require.NoError(t, err)
	suffix = strings.ToLower(strings.NewReplacer("-", "0", "_", "1").Replace(suffix))
	newDB := func(name string, maxConns int) *config.SQL {
		return &config.SQL{
			PluginName:        postgresplugin.PluginName,
			DatabaseName:      name + "_" + suffix,
			ConnectAddr:       u.Host,
			ConnectProtocol:   "tcp",
			User:              u.User.Username(),
			Password:          password,
			ConnectAttributes: attrs,
			MaxConns:          maxConns,
			MaxIdleConns:      maxConns,
		}
	}
	// Each service of each node has its own pools; at most two nodes of
	// four services at 10 + 4, in practice far fewer (frontend and worker
	// use a handful), inside PostgreSQL's default of 100 connections.
	persistence = newDB("hookflow_temporal", 10)
	visibility = newDB("hookflow_temporal_visibility", 4)
	for _, db := range []struct {
		cfg    *config.SQL
		schema string
	}{
		{persistence, "postgresql/v12/temporal"},
		{visibility, "postgresql/v12/visibility"},
	} {
		createTemporalDatabase(t, *db.cfg, maintenanceDB, db.schema)
	}
	return persistence, visibility
}

func createTemporalDatabase(t testing.TB, cfg config.SQL, maintenanceDB, schemaName string) {
	t.Helper()
	logger := log.NewNoopLogger()
	admin := cfg
	admin.DatabaseName = maintenanceDB
	create := cfg // DoCreateDatabase creates the database cfg names, connected to maintenanceDB
	require.NoError(t, sqltool.DoCreateDatabase(&create, maintenanceDB, logger), "create database %s", cfg.DatabaseName)
	t.Cleanup(func() {
		conn, err := sqltool.NewConnection(&admin, logger)
		if err != nil {
			t.Logf("could not drop database %s: %v", cfg.DatabaseName, err)
			return
		}
		defer conn.Close()
		// FORCE ends the connections of a node the test killed that the
		// server has not noticed yet.
		if err := conn.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", cfg.DatabaseName)); err != nil {
			t.Logf("could not drop database %s: %v", cfg.DatabaseName, err)
		}
	})
	conn, err := sqltool.NewConnection(&cfg, logger)
	require.NoError(t, err, "connect to %s", cfg.DatabaseName)
	defer conn.Close()
	require.NoError(t, schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(),
		"schema version tables in %s", cfg.DatabaseName)
	require.NoError(t, schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger).Run(),
		"schema of %s", cfg.DatabaseName)
	version, err := conn.ReadSchemaVersion()
	require.NoError(t, err)
	want := postgresschema.Version
	if strings.HasSuffix(schemaName, "visibility") {
		want = postgresschema.VisibilityVersion
	}
	require.Equal(t, want, version, "schema version of %s", cfg.DatabaseName)
}
