package server

import "encoding/json"

// nullable is a PATCH field that distinguishes "absent" (leave alone)
// from null (clear) and a value (set).
type nullable[T any] struct {
	Set   bool
	Value T
}

func (n *nullable[T]) UnmarshalJSON(data []byte) error {
	n.Set = true
	return json.Unmarshal(data, &n.Value)
}

// nullableID is a reference that may be cleared.
type nullableID = nullable[*string]

// nullableNumber is a number that may be cleared.
type nullableNumber = nullable[*float64]
