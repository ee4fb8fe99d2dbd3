package modelstest

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// ErrDatabaseDown is what every database call fails with while an Outage
// is on, as a dial to a stopped server does.
var ErrDatabaseDown = errors.New("dial tcp: connect: connection refused (modelstest.Outage)")

// Outage makes a store's database go away and come back, on MySQL and
// SQLite alike: while it is on, new connections fail with ErrDatabaseDown
// and connections already open fail with driver.ErrBadConn, so the pool
// drops them, as it does when the server died.
type Outage struct {
	down atomic.Bool
	// readOnly is on while the database refuses writes (BeginReadOnly);
	// readOnlyOn and readOnlyOff are the dialect's statements that make a
	// connection refuse writes and take them again.
	readOnly                atomic.Bool
	readOnlyOn, readOnlyOff string
}

// Begin cuts the database off.
func (o *Outage) Begin() { o.down.Store(true) }

// End brings it back.
func (o *Outage) End() { o.down.Store(false) }

// BeginReadOnly makes the database refuse every write with its own
// read-only error, while it still answers pings and reads: what a SQLite
// file that became read-only, or a MySQL server switched to read-only, do.
//
// It is done per connection, in the session, because the faithful outside
// ways do not work here: tests run as root, whom a chmod does not stop
// writing a SQLite file and whom SET GLOBAL read_only does not stop writing
// to MySQL; reopening SQLite with mode=ro would need every pooled
// connection replaced. Instead each connection, before its next statement
// or transaction, runs PRAGMA query_only = ON (SQLite then refuses every
// write transaction with SQLITE_READONLY, "attempt to write a readonly
// database") or SET SESSION TRANSACTION READ ONLY (MySQL and MariaDB then
// refuse every data-changing statement with error 1792): the engine's own
// refusal, through the driver's own error, as the code under test gets it
// from a read-only database. A transaction already under way finishes as
// it began.
func (o *Outage) BeginReadOnly() { o.readOnly.Store(true) }

// EndReadOnly makes the database take writes again.
func (o *Outage) EndReadOnly() { o.readOnly.Store(false) }

// Wrap is a models.PoolConfig.WrapConnector.
func (o *Outage) Wrap(c driver.Connector) driver.Connector { return outageConnector{c, o} }

// OpenWithOutage returns a migrated store on a fresh database, as Open
// does, and the Outage that cuts it off.
func OpenWithOutage(t testing.TB) (*models.Store, *Outage) {
	t.Helper()
	dsn := DSN(t)
	o := &Outage{readOnlyOn: "SET SESSION TRANSACTION READ ONLY", readOnlyOff: "SET SESSION TRANSACTION READ WRITE"}
	if strings.HasPrefix(dsn, models.DialectSQLite+"://") {
		o.readOnlyOn, o.readOnlyOff = "PRAGMA query_only = ON", "PRAGMA query_only = OFF"
	}
	store, err := models.Open(dsn, models.PoolConfig{MaxOpenConns: 10, WrapConnector: o.Wrap})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return store, o
}

func (o *Outage) check() error {
	if o.down.Load() {
		return driver.ErrBadConn
	}
	return nil
}

type outageConnector struct {
	driver.Connector
	o *Outage
}

func (c outageConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.o.down.Load() {
		return nil, ErrDatabaseDown
	}
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &outageConn{conn: conn, o: c.o}, nil
}

// outageConn forwards to the driver's connection, and every optional
// interface the MySQL and SQLite drivers implement, failing while down.
type outageConn struct {
	conn driver.Conn
	o    *Outage
	// readOnly is whether this connection refuses writes now; inTx is
	// whether a transaction is under way on it, which keeps its mode.
	readOnly, inTx bool
}

// syncReadOnly makes the connection refuse or take writes as the Outage
// says, between transactions (MySQL cannot change a transaction's mode
// in the middle of it).
func (c *outageConn) syncReadOnly(ctx context.Context) error {
	want := c.o.readOnly.Load()
	if want == c.readOnly || c.inTx {
		return nil
	}
	stmt := c.o.readOnlyOff
	if want {
		stmt = c.o.readOnlyOn
	}
	e, ok := c.conn.(driver.ExecerContext)
	if !ok {
		return errors.New("modelstest: the driver's connection cannot execute " + stmt)
	}
	if _, err := e.ExecContext(ctx, stmt, nil); err != nil {
		return err
	}
	c.readOnly = want
	return nil
}

// check fails while the database is down, and otherwise brings the
// connection's read-only mode up to date.
func (c *outageConn) check(ctx context.Context) error {
	if err := c.o.check(); err != nil {
		return err
	}
	return c.syncReadOnly(ctx)
}

func (c *outageConn) Unwrap() driver.Conn { return c.conn }

func (c *outageConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *outageConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	var st driver.Stmt
	var err error
	if p, ok := c.conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &outageStmt{st, c.o}, nil
}

func (c *outageConn) Close() error { return c.conn.Close() }

func (c *outageConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *outageConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	var tx driver.Tx
	var err error
	if b, ok := c.conn.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = c.conn.Begin() //nolint:staticcheck // the driver has nothing newer
	}
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return &outageTx{tx, c}, nil
}

func (c *outageConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if e, ok := c.conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *outageConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.check(ctx); err != nil {
		return nil, err
	}
	if q, ok := c.conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *outageConn) Ping(ctx context.Context) error {
	if err := c.o.check(); err != nil {
		return err
	}
	if p, ok := c.conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *outageConn) ResetSession(ctx context.Context) error {
	if err := c.check(ctx); err != nil {
		return err
	}
	if r, ok := c.conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *outageConn) IsValid() bool {
	if c.o.down.Load() {
		return false
	}
	if v, ok := c.conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *outageConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type outageStmt struct {
	driver.Stmt
	o *Outage
}

func (s *outageStmt) Exec(args []driver.Value) (driver.Result, error) {
	if err := s.o.check(); err != nil {
		return nil, err
	}
	return s.Stmt.Exec(args) //nolint:staticcheck // fallback of a driver without ExecContext
}

func (s *outageStmt) Query(args []driver.Value) (driver.Rows, error) {
	if err := s.o.check(); err != nil {
		return nil, err
	}
	return s.Stmt.Query(args) //nolint:staticcheck // fallback of a driver without QueryContext
}

func (s *outageStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if err := s.o.check(); err != nil {
		return nil, err
	}
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	return s.Stmt.Exec(values(args)) //nolint:staticcheck // fallback of a driver without ExecContext
}

func (s *outageStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if err := s.o.check(); err != nil {
		return nil, err
	}
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	return s.Stmt.Query(values(args)) //nolint:staticcheck // fallback of a driver without QueryContext
}

func (s *outageStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func values(args []driver.NamedValue) []driver.Value {
	vs := make([]driver.Value, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	return vs
}

type outageTx struct {
	tx driver.Tx
	c  *outageConn
}

func (t *outageTx) Commit() error {
	defer func() { t.c.inTx = false }()
	if err := t.c.o.check(); err != nil {
		_ = t.tx.Rollback()
		return err
	}
	return t.tx.Commit()
}

func (t *outageTx) Rollback() error {
	defer func() { t.c.inTx = false }()
	return t.tx.Rollback()
}
