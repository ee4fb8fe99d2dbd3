package models_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestCreateEventsMatchesWebhooksWhenStored: storing events records on each
// the webhooks it goes to, as WebhooksMatching finds them later (scope,
// type, status, activation time, the subject of an operational event); an
// event nobody wants is stored settled and dispatched, and the others
// neither.
func TestCreateEventsMatchesWebhooksWhenStored(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	dbA, colA, colB := "db_a", "col_a", "col_b"
	unscoped := deliveryStoreWebhook(t, store, nil)
	inDB := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID = &dbA })
	inCol := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID, w.CollectionID = &dbA, &colA })
	paused := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Status = models.WebhookPaused })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID, w.CollectionID = &dbA, &colB })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Events = []models.EventType{models.EventProfileCreate} })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.Status = models.WebhookUnverified })
	deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.AccountID = "acc_other" })
	other := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.AccountID = "acc_other"; w.Events = []models.EventType{models.EventClick} })

	inCollection := newEvent("")
	inCollection.DatabaseID, inCollection.CollectionID = &dbA, &colA
	plain := newEvent("")
	early := newEvent("")
	early.OccurredAt = models.Now().Add(-2 * time.Hour) // before every webhook's activation
	otherAccount := newEvent("")
	otherAccount.AccountID, otherAccount.Type = "acc_other", models.EventClick
	unwanted := newEvent("")
	unwanted.Type = models.EventBounce
	events := []*models.Event{inCollection, plain, early, otherAccount, unwanted}
	if err := store.CreateEvents(ctx, events); err != nil {
		t.Fatal(err)
	}

	want := map[*models.Event][]string{
		inCollection: {unscoped.ID, inDB.ID, inCol.ID, paused.ID},
		plain:        {unscoped.ID, paused.ID},
		early:        {},
		otherAccount: {other.ID},
		unwanted:     {},
	}
	for e, ids := range want {
		if !e.Matched || !reflect.DeepEqual(e.WebhookIDs, ids) {
			t.Errorf("event %s matched %v (matched: %v), want %v", e.ID, e.WebhookIDs, e.Matched, ids)
		}
		later, err := store.WebhooksMatching(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		var laterIDs []string
		for _, w := range later {
			laterIDs = append(laterIDs, w.ID)
		}
		if !models.SameWebhooks(laterIDs, ids) {
			t.Errorf("event %s: WebhooksMatching finds %v, storing it matched %v", e.ID, laterIDs, ids)
		}
		stored, err := models.Get[models.Event](ctx, store, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		nobody := len(ids) == 0
		if (stored.DispatchedAt != nil) != nobody || (stored.SettledAt != nil) != nobody {
			t.Errorf("event %s matching %d webhooks stored dispatched %v, settled %v; want both %v",
				e.ID, len(ids), stored.DispatchedAt, stored.SettledAt, nobody)
		}
		if ref := e.Ref(); ref.Wanted() == nobody {
			t.Errorf("event %s matching %d webhooks: Wanted() = %v", e.ID, len(ids), ref.Wanted())
		}
	}
}

// TestOperationalEventsAreMatchedWhenStored: the webhook an operational
// event is about is never among its matches.
func TestOperationalEventsAreMatchedWhenStored(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	listens := func(w *models.Webhook) { w.Events = []models.EventType{models.EventWebhookDisabled} }
	subject := deliveryStoreWebhook(t, store, listens)
	listener := deliveryStoreWebhook(t, store, listens)
	e, err := store.StoreOperationalEvent(ctx, models.OperationalEvent{
		AccountID: models.DefaultAccountID, Type: models.EventWebhookDisabled, WebhookID: subject.ID,
		Key: models.OperationalKeyPrefix + "test:" + subject.ID, OccurredAt: models.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !e.Matched || !reflect.DeepEqual(e.WebhookIDs, []string{listener.ID}) {
		t.Errorf("operational event about %s matched %v, want only %s", subject.ID, e.WebhookIDs, listener.ID)
	}
}

// TestMatchEventRefs: the sweeper's refs, read from the database, are
// matched as storing their events would have matched them.
func TestMatchEventRefs(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	dbA := "db_a"
	unscoped := deliveryStoreWebhook(t, store, nil)
	inDB := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.DatabaseID = &dbA })
	scoped, plain := newEvent(""), newEvent("")
	scoped.DatabaseID = &dbA
	// Stored as before events were matched: undispatched, no match kept.
	for _, e := range []*models.Event{scoped, plain} {
		if err := store.Create(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	refs, err := store.UndispatchedEvents(ctx, models.Now().Add(time.Minute), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || refs[0].Matched {
		t.Fatalf("undispatched refs %+v, want two unmatched", refs)
	}
	if err := store.MatchEventRefs(ctx, refs); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{scoped.ID: {unscoped.ID, inDB.ID}, plain.ID: {unscoped.ID}}
	for _, ref := range refs {
		if !ref.Matched || !reflect.DeepEqual(ref.WebhookIDs, want[ref.ID]) {
			t.Errorf("ref %s matched %v, want %v", ref.ID, ref.WebhookIDs, want[ref.ID])
		}
	}
}
