package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"
	"modernc.org/sqlite" // pure-Go SQLite; the same engine Temporal's dev server uses
)

// PoolConfig bounds the database connection pool.
type PoolConfig struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// WrapConnector, when set, wraps the driver's connector: tests use it
	// to make the database go away and come back (see modelstest.Outage).
	WrapConnector func(driver.Connector) driver.Connector
}

// Store is hookflow's storage: every model read and written through GORM,
// on MySQL in production or an embedded SQLite file in development.
type Store struct {
	db      *gorm.DB
	dialect string
	// reads are SQLite's read-only connections (nil on MySQL, whose pool
	// reads and writes alike, and inside a transaction).
	reads *sql.DB
	// attempts, acquisitions and dispatches group the attempt records, the
	// in-flight slot acquisitions and the dispatched marks made at about
	// the same time into shared transactions (nil inside a transaction).
	attempts     *groupCommit[AttemptRecord]
	acquisitions *groupCommit[*slotRequest]
	dispatches   *groupCommit[string]
}

// Dialects Open understands.
const (
	DialectMySQL  = "mysql"
	DialectSQLite = "sqlite"
)

// Now is the clock every stored timestamp uses: UTC, at the millisecond
// precision both MySQL's DATETIME(3) and SQLite keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Open connects to the database named by dsn: "mysql://user:pass@tcp(host:3306)/db?params"
// or "sqlite://path/to/file.db".
func Open(dsn string, pool PoolConfig) (*Store, error) {
	dialect, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, fmt.Errorf("database DSN must start with mysql:// or sqlite://")
	}
	var connector driver.Connector
	// readConnector, when set, opens read-only connections that serve
	// reads outside transactions beside the one writer (SQLite's WAL
	// lets readers run while it writes).
	var readConnector driver.Connector
	var newDialector func(*sql.DB) gorm.Dialector
	switch dialect {
	case DialectMySQL:
		cfg, err := mysql.ParseDSN(rest)
		if err != nil {
			return nil, fmt.Errorf("parse MySQL DSN: %w", err)
		}
		cfg.ParseTime = true
		// Count matched rows, as SQLite does, so a conditional UPDATE that
		// finds its row reports 1 even when it changes nothing.
		cfg.ClientFoundRows = true
		cfg.Loc = time.UTC
		// Arguments go into the statement text on the client: one round
		// trip a statement instead of a server-side prepare, execute and
		// close, whose parsing was most of MariaDB's work per delivery.
		cfg.InterpolateParams = true
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["charset"] = "utf8mb4"
		cfg.Params["time_zone"] = "'+00:00'"
		// Parsed again so the driver takes charset as its own setting,
		// not as a session variable to set.
		if cfg, err = mysql.ParseDSN(cfg.FormatDSN()); err != nil {
			return nil, fmt.Errorf("parse MySQL DSN: %w", err)
		}
		if connector, err = mysql.NewConnector(cfg); err != nil {
			return nil, fmt.Errorf("MySQL connector: %w", err)
		}
		connector = readCommitted{connector}
		newDialector = func(conn *sql.DB) gorm.Dialector {
			return gormmysql.New(gormmysql.Config{DSNConfig: cfg, Conn: conn})
		}
	case DialectSQLite:
		if dir := filepath.Dir(rest); rest != ":memory:" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database directory: %w", err)
			}
		}
		var err error
		if connector, err = sqlite.NewConnector(sqliteDSN(rest, false)); err != nil {
			return nil, fmt.Errorf("SQLite connector: %w", err)
		}
		if rest != ":memory:" {
			if readConnector, err = sqlite.NewConnector(sqliteDSN(rest, true)); err != nil {
				return nil, fmt.Errorf("SQLite connector: %w", err)
			}
		}
		newDialector = func(conn *sql.DB) gorm.Dialector {
			return gormsqlite.Dialector{DriverName: "sqlite", Conn: conn}
		}
		// SQLite has one writer; a single connection turns lock contention
		// into queueing instead of "database is locked" errors.
		pool.MaxOpenConns = 1
	default:
		return nil, fmt.Errorf("unsupported database %q: use mysql:// or sqlite://", dialect)
	}
	if pool.WrapConnector != nil {
		connector = pool.WrapConnector(connector)
		if readConnector != nil {
			readConnector = pool.WrapConnector(readConnector)
		}
	}
	conn := sql.OpenDB(connector)
	db, err := gorm.Open(newDialector(conn), &gorm.Config{
		NowFunc:                Now,
		TranslateError:         true,
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if pool.MaxOpenConns > 0 {
		conn.SetMaxOpenConns(pool.MaxOpenConns)
	}
	if pool.MaxIdleConns > 0 {
		conn.SetMaxIdleConns(pool.MaxIdleConns)
	}
	if pool.ConnMaxLifetime > 0 {
		conn.SetConnMaxLifetime(pool.ConnMaxLifetime)
	}
	s := &Store{db: db, dialect: dialect}
	if readConnector != nil {
		reads := sql.OpenDB(readConnector)
		reads.SetMaxOpenConns(sqliteReaders)
		reads.SetMaxIdleConns(sqliteReaders)
		if err := db.Use(dbresolver.Register(dbresolver.Config{Replicas: []gorm.Dialector{newDialector(reads)}})); err != nil {
			reads.Close()
			conn.Close()
			return nil, fmt.Errorf("open %s database for reading: %w", dialect, err)
		}
		s.reads = reads
	}
	// Small writes made at about the same time share a transaction: on
	// SQLite its one writer pays for every commit while all others wait;
	// on MySQL each commit is a sync and round trips, and alike attempt
	// records move in one statement (a fan-out's are alike). On MySQL this
	// took read-committed sessions: under repeatable read, shared
	// transactions deadlocked over the in-flight slots.
	s.attempts = newGroupCommit(s.writeAttempts)
	s.acquisitions = newGroupCommit(s.acquireFlowSlots)
	s.dispatches = newGroupCommit(s.markDispatched)
	return s, nil
}

// sqliteReaders is how many read-only connections serve reads beside the
// writer's one.
const sqliteReaders = 4

// sqliteDSN is the file at path, opened for writing or (readOnly) for
// reads only.
//
// WAL with synchronous=NORMAL syncs at checkpoints, not at every commit;
// a checkpoint every 10,000 pages (40 MB of log) rather than SQLite's
// 1,000 syncs a tenth as often, and each sync holds up the one writer.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)", "wal_autocheckpoint(10000)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Dialect is "mysql" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the GORM handle for queries this package has no method for yet.
func (s *Store) DB(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.reads != nil {
		err = s.reads.Close()
	}
	return errors.Join(sqlDB.Close(), err)
}

// Transaction runs fn in one database transaction.
func (s *Store) Transaction(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect})
	})
}

// deadlockTries is how often a transaction MySQL ended to break a
// deadlock is run, in all.
const deadlockTries = 3

// transactionRetryingDeadlocks is Transaction, run again (up to
// deadlockTries in all) when MySQL rolled it back to end a deadlock: fn
// must be a transaction that may simply run again, as a rolled-back one
// left nothing behind.
func (s *Store) transactionRetryingDeadlocks(ctx context.Context, fn func(tx *Store) error) error {
	var err error
	for range deadlockTries {
		if err = s.Transaction(ctx, fn); !isDeadlock(err) {
			break
		}
	}
	return err
}

// ErrNotFound is returned when no row has the given id.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with a unique key.
var ErrConflict = errors.New("conflict")

func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case isDuplicateKey(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
