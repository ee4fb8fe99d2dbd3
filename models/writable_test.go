package models_test

import (
	"errors"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// A read-only database answers pings and reads but CheckWritable fails with
// ErrReadOnly, and every write fails with the driver's own read-only error,
// which IsReadOnly recognises; once writable, both work again.
func TestCheckWritableFailsOnAReadOnlyDatabase(t *testing.T) {
	t.Parallel()
	store, outage := modelstest.OpenWithOutage(t)
	ctx := t.Context()
	if err := store.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable on a writable database: %v", err)
	}
	stored := newEvent("before")
	if err := store.Create(ctx, stored); err != nil {
		t.Fatal(err)
	}

	outage.BeginReadOnly()
	if err := store.Ping(ctx); err != nil {
		t.Fatalf("a read-only database still answers pings: %v", err)
	}
	if _, err := models.Get[models.Event](ctx, store, stored.ID); err != nil {
		t.Fatalf("a read-only database still answers reads: %v", err)
	}
	if err := store.CheckWritable(ctx); !errors.Is(err, models.ErrReadOnly) {
		t.Fatalf("CheckWritable on a read-only database: %v, want ErrReadOnly", err)
	}
	err := store.Create(ctx, newEvent("during"))
	if err == nil || !models.IsReadOnly(err) {
		t.Fatalf("a write to a read-only database: %v, want the database's read-only error", err)
	}
	t.Logf("%s refuses a write with: %v", modelstest.Describe(), err)

	outage.EndReadOnly()
	if err := store.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable once writable again: %v", err)
	}
	if err := store.Create(ctx, newEvent("after")); err != nil {
		t.Fatalf("a write once writable again: %v", err)
	}
}
