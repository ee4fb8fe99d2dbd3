// Package modelstest gives tests a migrated, empty store: on the MySQL or
// MariaDB server named by HOOKFLOW_TEST_MYSQL_DSN when it is set (a fresh
// database per test, dropped afterwards), else on an embedded SQLite file.
package modelstest

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/oklog/ulid/v2"

	"github.com/hookflow/hookflow/keyfile"
	"github.com/hookflow/hookflow/models"
)

// EnvMySQLDSN names the variable that points tests at a MySQL server, as
// "mysql://user:pass@tcp(host:3306)/" (any database name is replaced).
const EnvMySQLDSN = "HOOKFLOW_TEST_MYSQL_DSN"

// DSN returns a DSN for a fresh, empty database, and registers its removal.
func DSN(t testing.TB) string {
	raw := os.Getenv(EnvMySQLDSN)
	if raw == "" {
		return "sqlite://" + filepath.Join(t.TempDir(), "hookflow.db")
	}
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(raw, "mysql://"))
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQLDSN, err)
	}
	suffix, _ := keyfile.RandomToken(6)
	cfg.DBName = "hookflow_test_" + strings.ToLower(strings.NewReplacer("-", "0", "_", "1").Replace(suffix))
	server := *cfg
	server.DBName = ""
	admin, err := sql.Open("mysql", server.FormatDSN())
	if err != nil {
		t.Fatalf("connect to MySQL: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE `" + cfg.DBName + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", server.FormatDSN())
		if err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS `" + cfg.DBName + "`")
			admin.Close()
		}
	})
	return "mysql://" + cfg.FormatDSN()
}

// Open returns a migrated store on a fresh database, closed after the test.
func Open(t testing.TB) *models.Store {
	t.Helper()
	return OpenAt(t, DSN(t))
}

// OpenAt returns a migrated store on the database at dsn (from DSN),
// closed after the test: for tests that open it in another process too.
func OpenAt(t testing.TB, dsn string) *models.Store {
	t.Helper()
	store, err := models.Open(dsn, models.PoolConfig{MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return store
}

// Describe names the database tests run on, for log lines that show it.
func Describe() string {
	if os.Getenv(EnvMySQLDSN) != "" {
		return "MySQL/MariaDB (" + EnvMySQLDSN + ")"
	}
	return "embedded SQLite"
}

// DeeplyNested returns fields nested depth maps deep, {"a":{"a":…}}: at
// 10001 they store fine but encoding/json cannot read them back.
func DeeplyNested(depth int) models.Fields {
	f := models.Fields{"leaf": true}
	for range depth - 1 {
		f = models.Fields{"a": f}
	}
	return f
}

// DeeplyNestedJSON is the text of an object nesting levels deep, counting
// itself: DeeplyNestedJSON(2) is {"a":{"a":1}}. For what decoders refuse
// to read, which DeeplyNested cannot always make through the models.
func DeeplyNestedJSON(levels int) string {
	return strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels)
}

// IDAt returns a new id with the prefix as models.NewID made it at t: for
// rows that must be as old as their ids say.
func IDAt(prefix string, t time.Time) string {
	return prefix + strings.ToLower(ulid.MustNew(ulid.Timestamp(t), ulid.DefaultEntropy()).String())
}
