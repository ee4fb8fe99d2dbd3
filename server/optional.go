package server

import "encoding/json"

// nullableID is a PATCH field that distinguishes "absent" (leave alone)
// from null (clear) and a value (set).
type nullableID struct {
	Set   bool
	Value *string
}

func (n *nullableID) UnmarshalJSON(data []byte) error {
	n.Set = true
	return json.Unmarshal(data, &n.Value)
}

// nullableNumber is nullableID for a number.
type nullableNumber struct {
	Set   bool
	Value *float64
}

func (n *nullableNumber) UnmarshalJSON(data []byte) error {
	n.Set = true
	return json.Unmarshal(data, &n.Value)
}
