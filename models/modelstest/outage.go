package modelstest

import (
	"context"
	"database/sql/driver"
	"errors"
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
}

// Begin cuts the database off.
func (o *Outage) Begin() { o.down.Store(true) }

// End brings it back.
func (o *Outage) End() { o.down.Store(false) }

// Wrap is a models.PoolConfig.WrapConnector.
func (o *Outage) Wrap(c driver.Connector) driver.Connector { return outageConnector{c, o} }

// OpenWithOutage returns a migrated store on a fresh database, as Open
// does, and the Outage that cuts it off.
func OpenWithOutage(t testing.TB) (*models.Store, *Outage) {
	t.Helper()
	o := &Outage{}
	store, err := models.Open(DSN(t), models.PoolConfig{MaxOpenConns: 10, WrapConnector: o.Wrap})
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
}

func (c *outageConn) Unwrap() driver.Conn { return c.conn }

func (c *outageConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *outageConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.o.check(); err != nil {
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
	if err := c.o.check(); err != nil {
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
	return &outageTx{tx, c.o}, nil
}

func (c *outageConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.o.check(); err != nil {
		return nil, err
	}
	if e, ok := c.conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c *outageConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.o.check(); err != nil {
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
	if err := c.o.check(); err != nil {
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
	o  *Outage
}

func (t *outageTx) Commit() error {
	if err := t.o.check(); err != nil {
		_ = t.tx.Rollback()
		return err
	}
	return t.tx.Commit()
}

func (t *outageTx) Rollback() error { return t.tx.Rollback() }
