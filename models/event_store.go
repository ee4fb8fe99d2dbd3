package models

import (
	"context"
	"slices"
	"strings"
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

// EventIDsByClientID maps each of the account's client ids that is stored
// already to its event's id.
func (s *Store) EventIDsByClientID(ctx context.Context, accountID string, clientIDs []string) (map[string]string, error) {
	found := map[string]string{}
	if len(clientIDs) == 0 {
		return found, nil
	}
	var rows []struct {
		ID       string
		ClientID string
	}
	err := s.db.WithContext(ctx).Model(&Event{}).Select("id", "client_id").Where("account_id = ? AND client_id IN ?", accountID, clientIDs).Find(&rows).Error
	for _, r := range rows {
		found[r.ClientID] = r.ID
	}
	return found, translate(err)
}

// CreateEvents stores events in one transaction: all of them, or none.
// Each event a batched webhook wants waits for its batch as a BatchItem
// written in the same transaction; an event only batched webhooks want is
// stored dispatched and settled (see batchItemsFor): no workflow is
// started for it.
// A client id stored already (perhaps by a concurrent transaction) is
// ErrConflict. MySQL may end one of two transactions that wait for each
// other's client ids; that one is run again, up to three times.
func (s *Store) CreateEvents(ctx context.Context, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	// Inserting in client-id order makes concurrent batches lock their
	// shared ids in the same order, which keeps such deadlocks rare.
	clientID := func(e *Event) string {
		if e.ClientID == nil {
			return ""
		}
		return *e.ClientID
	}
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b *Event) int { return strings.Compare(clientID(a), clientID(b)) })
	err := s.transactionRetryingDeadlocks(ctx, func(tx *Store) error {
		// Batched webhooks get their events as outbox rows, written with
		// the events: matched here, in the order the events came.
		webhooks, err := tx.batchedWebhooksOf(ctx, events)
		if err != nil {
			return err
		}
		for _, e := range events {
			e.DispatchedAt, e.SettledAt = nil, nil // a run again starts over
		}
		items := batchItemsFor(events, webhooks, Now())
		if err := tx.db.WithContext(ctx).CreateInBatches(sorted, 200).Error; err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		return tx.db.WithContext(ctx).CreateInBatches(items, 500).Error
	})
	return translate(err)
}
