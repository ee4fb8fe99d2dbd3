package models_test

import (
	"errors"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func newEvent(clientID string) *models.Event {
	now := models.Now()
	e := &models.Event{ID: models.NewID(models.PrefixEvent), AccountID: models.DefaultAccountID, Type: models.EventOpen, OccurredAt: now, ReceivedAt: now}
	if clientID != "" {
		e.ClientID = &clientID
	}
	return e
}

// TestCreateEventsIsAllOrNothing: one client id taken already keeps the
// whole batch out, and says so with ErrConflict.
func TestCreateEventsIsAllOrNothing(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	taken := newEvent("taken")
	if err := store.CreateEvents(ctx, []*models.Event{taken}); err != nil {
		t.Fatal(err)
	}
	batch := []*models.Event{newEvent("a"), newEvent(""), newEvent("taken"), newEvent("b")}
	if err := store.CreateEvents(ctx, batch); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("CreateEvents with a taken client id: %v, want ErrConflict", err)
	}
	ids, err := store.EventIDsByClientID(ctx, models.DefaultAccountID, []string{"a", "b", "taken", "unknown"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids["taken"] != taken.ID {
		t.Fatalf("stored client ids %v, want only taken → %s", ids, taken.ID)
	}

	batch = []*models.Event{newEvent("a"), newEvent(""), newEvent("b")}
	if err := store.CreateEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, e := range batch {
		if _, err := models.Get[models.Event](ctx, store, e.ID); err != nil {
			t.Errorf("event %s not stored: %v", e.ID, err)
		}
	}
}
