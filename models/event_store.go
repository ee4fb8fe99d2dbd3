package models

import (
	"context"
	"time"
)

// EventByClientID finds the event a client submitted under its own id.
func (s *Store) EventByClientID(ctx context.Context, clientID string) (*Event, error) {
	var e Event
	if err := s.db.WithContext(ctx).Where("client_id = ?", clientID).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// MarkDispatched records that the event's delivery workflow was started.
func (s *Store) MarkDispatched(ctx context.Context, eventID string) error {
	return s.db.WithContext(ctx).Model(&Event{}).Where("id = ? AND dispatched_at IS NULL", eventID).
		Update("dispatched_at", Now()).Error
}

// EventRef is what starting an event's delivery needs, and no more: the
// sweeper reads only these columns, so a row whose data cannot be decoded
// never stops it.
type EventRef struct {
	ID   string
	Type EventType
}

// Ref returns the event's EventRef.
func (e *Event) Ref() EventRef { return EventRef{ID: e.ID, Type: e.Type} }

// Event returns an Event carrying only the ref's columns.
func (r EventRef) Event() *Event { return &Event{ID: r.ID, Type: r.Type} }

// UndispatchedEvents lists events received before the cutoff whose delivery
// workflow was never started, in id (so creation) order, starting after
// the id afterID ("" for the first).
func (s *Store) UndispatchedEvents(ctx context.Context, receivedBefore time.Time, afterID string, limit int) ([]EventRef, error) {
	var refs []EventRef
	err := s.db.WithContext(ctx).Model(&Event{}).Select("id", "type").
		Where("dispatched_at IS NULL AND received_at < ? AND id > ?", receivedBefore, afterID).
		Order("id").Limit(limit).Scan(&refs).Error
	return refs, err
}
