package models

import (
	"context"
	"slices"
)

// Events are matched to webhooks when they are stored, in the transaction
// that stores them: the event's scope is resolved by then, and what it
// matched names the delivery workflow's WebhookId search attribute from
// its start, and spares the events nobody wants a workflow at all.

// matchWebhooks records on each event the webhooks it goes to
// (Event.WebhookIDs), reading the webhooks that take deliveries once per
// account, however many events there are. An event no webhook wants is
// stored settled and dispatched: there is nothing to deliver, so no
// workflow is started for it.
//
// With outbox (the events are being stored), a batched webhook an event
// matches gets a BatchItem for it, returned in the events' order, instead
// of a place in WebhookIDs: its batching workflow, not the event's, will
// deliver it. Without (events stored already), batched webhooks stay in
// WebhookIDs: no batch has the event, so its workflow delivers it to them.
func (s *Store) matchWebhooks(ctx context.Context, events []*Event, outbox bool) ([]BatchItem, error) {
	byAccount := map[string][]Webhook{}
	var items []BatchItem
	for _, e := range events {
		webhooks, ok := byAccount[e.AccountID]
		if !ok {
			var err error
			if webhooks, err = s.webhooksTakingDeliveries(ctx, e.AccountID); err != nil {
				return nil, err
			}
			byAccount[e.AccountID] = webhooks
		}
		now := Now()
		e.WebhookIDs = []string{}
		for _, w := range MatchingWebhooks(webhooks, e) {
			if outbox && w.Batched() {
				items = append(items, BatchItem{AccountID: e.AccountID, WebhookID: w.ID, EventID: e.ID, CreatedAt: now})
				continue
			}
			e.WebhookIDs = append(e.WebhookIDs, w.ID)
		}
		e.Matched = true
		if len(e.WebhookIDs) == 0 {
			e.DispatchedAt, e.SettledAt = &now, &now
		}
	}
	return items, nil
}

// webhooksTakingDeliveries reads, in id order, the columns matching needs
// of an account's webhooks that take deliveries.
func (s *Store) webhooksTakingDeliveries(ctx context.Context, accountID string) ([]Webhook, error) {
	var webhooks []Webhook
	err := s.db.WithContext(ctx).
		Select("id", "account_id", "status", "events", "database_id", "collection_id", "active_since", "batch").
		Where("account_id = ? AND status IN ?", accountID, statusesTakingDeliveries).
		Order("id").Find(&webhooks).Error
	return webhooks, err
}

// MatchingWebhooks keeps, in their order, the webhooks the event goes to:
// Webhook.Matches decides.
func MatchingWebhooks(webhooks []Webhook, e *Event) []Webhook {
	var matching []Webhook
	for _, w := range webhooks {
		if w.Matches(e) {
			matching = append(matching, w)
		}
	}
	return matching
}

func webhookIDs(webhooks []Webhook) []string {
	ids := make([]string, len(webhooks))
	for i := range webhooks {
		ids[i] = webhooks[i].ID
	}
	return ids
}

// MatchEventRefs records on each ref the webhooks its event goes to, as
// storing it would have: for events stored before they were matched, or
// whose match was not kept (the sweeper's). The refs must carry the
// columns matching reads (UndispatchedEvents reads them).
func (s *Store) MatchEventRefs(ctx context.Context, refs []EventRef) error {
	events := make([]*Event, len(refs))
	for i := range refs {
		events[i] = refs[i].Event()
	}
	if _, err := s.matchWebhooks(ctx, events, false); err != nil {
		return err
	}
	for i, e := range events {
		refs[i].WebhookIDs, refs[i].Matched = e.WebhookIDs, true
	}
	return nil
}

// SameWebhooks reports whether two lists name the same webhooks, in any order.
func SameWebhooks(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
