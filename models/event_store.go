package models

import (
	"context"
	"time"
)

// EventByClientID finds the event an account submitted under its own id.
func (s *Store) EventByClientID(ctx context.Context, accountID, clientID string) (*Event, error) {
	var e Event
	if err := s.db.WithContext(ctx).Where("account_id = ? AND client_id = ?", accountID, clientID).Take(&e).Error; err != nil {
		return nil, translate(err)
	}
	return &e, nil
}

// MarkDispatched records that the event's delivery workflow was started.
func (s *Store) MarkDispatched(ctx context.Context, eventID string) error {
	return s.db.WithContext(ctx).Model(&Event{}).Where("id = ? AND dispatched_at IS NULL", eventID).
		Update("dispatched_at", Now()).Error
}

// UndispatchedEvents lists events received before the cutoff whose delivery
// workflow was never started, oldest first.
func (s *Store) UndispatchedEvents(ctx context.Context, receivedBefore time.Time, limit int) ([]Event, error) {
	var events []Event
	err := s.db.WithContext(ctx).Where("dispatched_at IS NULL AND received_at < ?", receivedBefore).
		Order("received_at").Limit(limit).Find(&events).Error
	return events, err
}
