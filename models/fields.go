package models

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
)

// Fields holds free-form JSON data: a profile's or subprofile's fields, an
// event's data and its rendered payload. It is stored as JSON text.
type Fields map[string]any

// ErrUnreadable marks a stored value that can be read from the database but
// not decoded, e.g. JSON nested deeper than encoding/json allows. Reading it
// again will not help, unlike a database that is down: callers skip the
// record (and report it) instead of retrying.
var ErrUnreadable = errors.New("unreadable stored value")

// Value stores the fields as JSON text, or NULL when nil, as GORM's JSON
// serializer did (so existing rows read the same).
func (f Fields) Value() (driver.Value, error) {
	if f == nil {
		return nil, nil
	}
	b, err := json.Marshal(map[string]any(f))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// Scan reads JSON text; NULL and empty text are nil fields. A value that
// does not decode is ErrUnreadable.
func (f *Fields) Scan(src any) error {
	*f = nil
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("%w: fields stored as %T", ErrUnreadable, src)
	}
	if len(b) == 0 {
		return nil
	}
	m, err := decodeFields(b)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	*f = m
	return nil
}

// UnmarshalJSON reads a JSON object (or null) keeping every number exactly
// as written: customers' values come back as they gave them, not rounded
// through float64 (9007199254740993 stays itself, 1e-400 is not 0).
func (f *Fields) UnmarshalJSON(b []byte) error {
	m, err := decodeFields(b)
	if err != nil {
		return err
	}
	*f = m
	return nil
}

// decodeFields decodes a JSON object with numbers as json.Number, which
// encoding/json writes back verbatim.
func decodeFields(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
