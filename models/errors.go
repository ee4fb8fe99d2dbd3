package models

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// isDuplicateKey recognises unique-key violations on both dialects. GORM
// translates MySQL's; SQLite's come from modernc, which GORM's SQLite
// dialector does not know.
func isDuplicateKey(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// mysqlDeadlock is ER_LOCK_DEADLOCK: MySQL rolled the transaction back to
// end a deadlock, and running it again is the cure.
const mysqlDeadlock = 1213

// isDeadlock recognises a transaction MySQL ended to break a deadlock.
// SQLite has one writer and none.
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == mysqlDeadlock
}
