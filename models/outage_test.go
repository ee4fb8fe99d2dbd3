package models_test

import (
	"errors"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestOutageCutsTheDatabaseOffUntilItEnds(t *testing.T) {
	store, outage := modelstest.OpenWithOutage(t)
	ctx := t.Context()
	e := dispatchedEvent(t, store, models.Now())

	outage.Begin()
	if _, err := models.Get[models.Event](ctx, store, e.ID); err == nil || errors.Is(err, models.ErrNotFound) {
		t.Fatalf("read during the outage: %v, want a connection error", err)
	}
	if err := store.SettleEvent(ctx, e.ID); err == nil {
		t.Fatal("write during the outage succeeded")
	}
	if err := store.Transaction(ctx, func(tx *models.Store) error { return tx.SettleEvent(ctx, e.ID) }); err == nil {
		t.Fatal("transaction during the outage succeeded")
	}
	outage.End()

	if got := settledAt(t, store, e.ID); got != nil {
		t.Fatalf("a write during the outage took effect: settled_at %v", got)
	}
	if err := store.SettleEvent(ctx, e.ID); err != nil {
		t.Fatalf("write after the outage: %v", err)
	}
}
