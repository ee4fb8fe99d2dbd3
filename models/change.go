package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"maps"
	"slices"

	"gorm.io/gorm"
)

// A Change is one conditional UPDATE of one row: the columns it sets and
// the conditions, besides the row's id and owner, the row must still meet.
// Applying it also adds one to the row's version and sets updated_at, so
// it never rewrites a column it does not name and never creates a row.
// The zero Change sets nothing but the version.
type Change struct {
	set   map[string]any
	where []condition
}

type condition struct {
	query string
	args  []any
}

// Set returns the change that also sets column to value.
func (c Change) Set(column string, value any) Change {
	set := maps.Clone(c.set)
	if set == nil {
		set = map[string]any{}
	}
	set[column] = value
	c.set = set
	return c
}

// SetJSON sets a column the model stores as JSON (serializer:json), encoded
// as GORM's serializer encodes it: GORM passes UPDATE values given by
// column name to the driver as they are.
func (c Change) SetJSON(column string, value any) Change {
	return c.Set(column, jsonColumn{value})
}

// Where returns the change that applies only while the row also meets query.
func (c Change) Where(query string, args ...any) Change {
	c.where = append(slices.Clip(c.where), condition{query, args})
	return c
}

// AtVersion returns the change that applies only while the row is still at
// version: for a change computed from the row as it was read.
func (c Change) AtVersion(version int64) Change {
	return c.Where("version = ?", version)
}

// With returns the change that makes both c and other.
func (c Change) With(other Change) Change {
	for column, value := range other.set {
		c = c.Set(column, value)
	}
	c.where = append(slices.Clip(c.where), other.where...)
	return c
}

// apply makes the change to the row of model's table with the given id
// among the rows q selects, if it meets pre, and returns how many rows
// matched (0 or 1; MySQL is set to count matched rows, as SQLite does).
func (c Change) apply(ctx context.Context, q *gorm.DB, model any, id string, pre Precondition) (int64, error) {
	set := maps.Clone(c.set)
	if set == nil {
		set = map[string]any{}
	}
	set["version"] = gorm.Expr("version + 1")
	set["updated_at"] = Now()
	q = pre.where(q.WithContext(ctx).Model(model).Where("id = ?", id))
	for _, w := range c.where {
		q = q.Where(w.query, w.args...)
	}
	res := q.Updates(set)
	return res.RowsAffected, translate(res.Error)
}

// jsonColumn is a value written to a serializer:json column.
type jsonColumn struct{ v any }

// Value encodes like GORM's JSONSerializer: JSON text, and NULL for nil.
func (j jsonColumn) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil || string(b) == "null" {
		return nil, err
	}
	return string(b), nil
}
