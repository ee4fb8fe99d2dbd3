package models

import "context"

// Page is one slice of a list, in id (creation) order. NextCursor is empty
// on the last page.
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// PageRequest asks for up to Limit items after the id in Cursor.
type PageRequest struct {
	Cursor string
	Limit  int
	// NewestFirst lists in reverse creation order; Cursor is then the
	// last id of the previous page, and the next page holds older ids.
	NewestFirst bool
}

// List returns one page of rows of type T that pass every filter. Ids are
// time-ordered, so keyset pagination over them is stable under inserts.
func List[T Identified](ctx context.Context, s *Store, page PageRequest, filters ...Filter) (Page[T], error) {
	q := s.db.WithContext(ctx).Model(new(T))
	for _, f := range filters {
		q = f(q)
	}
	order := "id"
	switch {
	case page.NewestFirst:
		order = "id DESC"
		if page.Cursor != "" {
			q = q.Where("id < ?", page.Cursor)
		}
	case page.Cursor != "":
		q = q.Where("id > ?", page.Cursor)
	}
	var items []T
	if err := q.Order(order).Limit(page.Limit + 1).Find(&items).Error; err != nil {
		return Page[T]{}, err
	}
	out := Page[T]{Items: items}
	if len(items) > page.Limit {
		out.Items = items[:page.Limit]
		out.NextCursor = out.Items[page.Limit-1].GetID()
	}
	return out, nil
}

// Identified is implemented by every model: the id is what pages key on.
type Identified interface{ GetID() string }
