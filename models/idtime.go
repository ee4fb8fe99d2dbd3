package models

import (
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// FirstIDAt is the smallest id with the prefix made at t. Ids sort by
// creation time, so "created since t" is "id >= FirstIDAt(prefix, t)": an
// indexed range that reads the same on MySQL and SQLite, where stored
// times are text.
func FirstIDAt(prefix string, t time.Time) string {
	var u ulid.ULID
	_ = u.SetTime(ulid.Timestamp(t)) // fails only past the year 10889
	return prefix + strings.ToLower(u.String())
}
