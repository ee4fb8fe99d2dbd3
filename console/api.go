package console

import (
	"encoding/json"
	"net/http"
)

// list reads every item of one of the API's paginated lists.
func list[T any](q *request, path string) ([]T, error) {
	var items []T
	err := q.api.Each(q.r.Context(), path, func(raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		items = append(items, v)
		return nil
	})
	return items, err
}

// firstPage reads the first page of one of the API's lists (newest first
// where the API orders so).
func firstPage[T any](q *request, path string) ([]T, error) {
	var page struct {
		Items []T `json:"items"`
	}
	err := q.api.Call(q.r.Context(), http.MethodGet, path, nil, &page)
	return page.Items, err
}

// get reads one resource of the API.
func get[T any](q *request, path string) (*T, error) {
	var v T
	if err := q.api.Call(q.r.Context(), http.MethodGet, path, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
