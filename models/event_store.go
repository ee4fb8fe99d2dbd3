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
//
// Events marked at about the same time (the dispatcher's workers, one
// after each start) are marked in one statement.
func (s *Store) MarkDispatched(ctx context.Context, eventID string) error {
	if s.dispatches != nil {
		return s.dispatches.do(ctx, eventID)
	}
	return s.markDispatched(ctx, []string{eventID})[0]
}

// markDispatched marks events dispatched in one statement: its error is
// each one's.
func (s *Store) markDispatched(ctx context.Context, eventIDs []string) []error {
	err := s.db.WithContext(ctx).Model(&Event{}).Where("id IN ? AND dispatched_at IS NULL", eventIDs).
		Update("dispatched_at", Now()).Error
	errs := make([]error, len(eventIDs))
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// EventRef is what starting an event's delivery needs, and no more: the
// sweeper reads only these columns (the ones matching it to webhooks
// reads, too), so a row whose data cannot be decoded never stops it.
type EventRef struct {
	ID               string
	Type             EventType
	AccountID        string
	OccurredAt       time.Time
	DatabaseID       *string
	CollectionID     *string
	SubjectWebhookID *string
	// WebhookIDs are the webhooks the event matched, if Matched (see
	// Event.WebhookIDs).
	WebhookIDs []string `gorm:"-"`
	Matched    bool     `gorm:"-"`
}

// eventRefColumns are the columns an EventRef is read from.
var eventRefColumns = []string{"id", "type", "account_id", "occurred_at", "database_id", "collection_id", "subject_webhook_id"}

// Ref returns the event's EventRef.
func (e *Event) Ref() EventRef {
	return EventRef{ID: e.ID, Type: e.Type, AccountID: e.AccountID, OccurredAt: e.OccurredAt,
		DatabaseID: e.DatabaseID, CollectionID: e.CollectionID, SubjectWebhookID: e.SubjectWebhookID,
		WebhookIDs: e.WebhookIDs, Matched: e.Matched}
}

// Event returns an Event carrying only the ref's columns and match.
func (r EventRef) Event() *Event {
	return &Event{ID: r.ID, Type: r.Type, AccountID: r.AccountID, OccurredAt: r.OccurredAt,
		DatabaseID: r.DatabaseID, CollectionID: r.CollectionID, SubjectWebhookID: r.SubjectWebhookID,
		WebhookIDs: r.WebhookIDs, Matched: r.Matched}
}

// Wanted reports whether the event has a delivery to make: it matched a
// webhook when it was stored, or was stored before events were matched.
// An event no webhook wanted was stored settled and dispatched.
func (r EventRef) Wanted() bool { return !r.Matched || len(r.WebhookIDs) > 0 }

// UndispatchedEvents lists events received before the cutoff whose delivery
// workflow was never started, in id (so creation) order, starting after
// the id afterID ("" for the first).
func (s *Store) UndispatchedEvents(ctx context.Context, receivedBefore time.Time, afterID string, limit int) ([]EventRef, error) {
	var refs []EventRef
	err := s.db.WithContext(ctx).Model(&Event{}).Select(eventRefColumns).
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

// CreateEvent stores one event, matched to its account's webhooks (see
// CreateEvents). Within a transaction (s from Transaction) it is part of it.
func (s *Store) CreateEvent(ctx context.Context, e *Event) error {
	return translate(s.Transaction(ctx, func(tx *Store) error { return tx.insertEvents(ctx, []*Event{e}) }))
}

// CreateEvents stores events in one transaction: all of them, or none.
// Each is matched to its account's webhooks in the same transaction, with
// one query per account (Event.WebhookIDs); one that no webhook wants is
// stored settled and dispatched, and needs no workflow. Each event a
// batched webhook wants waits for its batch as a BatchItem written in the
// same transaction, in the order the events came; an event only batched
// webhooks want is stored settled and dispatched too: its batches deliver
// it. A client id stored already (perhaps by a concurrent transaction) is
// ErrConflict. MySQL may end one of two transactions that wait for each
// other's client ids; that one is run again, up to three times.
func (s *Store) CreateEvents(ctx context.Context, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	err := s.transactionRetryingDeadlocks(ctx, func(tx *Store) error { return tx.insertEvents(ctx, events) })
	return translate(err)
}

// insertEvents matches events (in the order they came) to webhooks and
// inserts them with the batch items of batched webhooks, in the
// transaction s is: whatever else an event needs when it is stored goes
// here.
func (s *Store) insertEvents(ctx context.Context, events []*Event) error {
	for _, e := range events {
		e.DispatchedAt, e.SettledAt = nil, nil // a transaction run again starts over
	}
	items, err := s.matchWebhooks(ctx, events, true)
	if err != nil {
		return err
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
	if err := s.db.WithContext(ctx).CreateInBatches(sorted, 200).Error; err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).CreateInBatches(items, 500).Error
}
