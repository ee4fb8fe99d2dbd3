package models

import (
	"errors"
	"slices"

	"gorm.io/gorm"
)

// Versioned is embedded by every model the API lets its owner change. The
// version counts the row's writes: it starts at 1 and every UPDATE adds
// one, so a client that sends back the version it saw (as an ETag) learns
// whether the row changed since, and a writer that read the row can make
// its UPDATE depend on nothing having changed meanwhile.
type Versioned struct {
	Version int64 `gorm:"not null;default:1" json:"-"`
}

// RowVersion is the version the row was read or created at.
func (v Versioned) RowVersion() int64 { return v.Version }

// BeforeCreate starts every new row at version 1.
func (v *Versioned) BeforeCreate(*gorm.DB) error {
	if v.Version == 0 {
		v.Version = 1
	}
	return nil
}

// versioned is what the conditional writes need of a model.
type versioned interface{ RowVersion() int64 }

// Precondition is what a client asks of a row before it is changed or
// deleted: to still be at one of the versions it lists (HTTP's If-Match).
// The zero Precondition asks nothing.
type Precondition struct {
	versions []int64
	narrowed bool
}

// AtVersions asks the row to be at one of the versions; none at all is a
// precondition no row meets.
func AtVersions(versions ...int64) Precondition {
	return Precondition{versions: versions, narrowed: true}
}

// Allows reports whether a row at version meets the precondition.
func (p Precondition) Allows(version int64) bool {
	return !p.narrowed || slices.Contains(p.versions, version)
}

// where narrows a write to the rows that meet the precondition.
func (p Precondition) where(q *gorm.DB) *gorm.DB {
	switch {
	case !p.narrowed:
		return q
	case len(p.versions) == 0:
		return q.Where("1 = 0")
	}
	return q.Where("version IN ?", p.versions)
}

// ErrPreconditionFailed is returned when a row is not at a version the
// caller's Precondition allows: it changed since the caller saw it.
var ErrPreconditionFailed = errors.New("precondition failed: the row changed")

// ErrContended is returned when a row kept changing under a write that
// depends on what it read, more times than the write retries.
var ErrContended = errors.New("the row is being changed by others; try again")
