package models

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrReadOnly marks a write the database refused because it is read-only
// for now (a SQLite file that cannot be written, a MySQL server or
// session in read-only mode): not the request's fault, and over once the
// database takes writes again.
var ErrReadOnly = errors.New("the database is read-only")

// CheckWritable checks that the database takes a write, as a ping does not:
// a read-only database answers pings and reads. The write is an UPDATE
// that matches no row, so it changes and grows nothing, yet SQLite and
// MySQL both refuse it when they cannot write (SQLite when it would open a
// write transaction, MySQL before running any data-changing statement).
func (s *Store) CheckWritable(ctx context.Context) error {
	err := s.db.WithContext(ctx).Exec("UPDATE schema_migrations SET id = id WHERE 1 = 0").Error
	if isReadOnly(err) {
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

// MySQL's and MariaDB's refusals of a write in read-only mode.
const (
	// ER_OPTION_PREVENTS_STATEMENT: the server runs with --read-only (or
	// super_read_only).
	mysqlOptionPreventsStatement = 1290
	// ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: the session or
	// transaction is READ ONLY.
	mysqlReadOnlyTransaction = 1792
)

// isReadOnly recognises a write refused because the database is read-only,
// on both dialects: SQLITE_READONLY and its extended codes, and MySQL's
// read-only server and read-only transaction errors.
func isReadOnly(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_READONLY
	}
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == mysqlOptionPreventsStatement || me.Number == mysqlReadOnlyTransaction)
}

// IsReadOnly reports whether err is a write the database refused because
// it is read-only (ErrReadOnly or the driver's own error): a dependency
// unavailable for now, never a verdict on the request or the delivery.
func IsReadOnly(err error) bool { return errors.Is(err, ErrReadOnly) || isReadOnly(err) }
