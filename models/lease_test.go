package models_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func TestLeaseHasOneHolderAtATime(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	const name, ttl = "job", time.Minute
	t0 := models.Now()
	acquire := func(holder string, at time.Time) bool {
		t.Helper()
		held, err := store.AcquireLease(ctx, name, holder, at, ttl)
		if err != nil {
			t.Fatalf("%s acquires at %v: %v", holder, at, err)
		}
		return held
	}

	if !acquire("a", t0) {
		t.Fatal("a did not get a free lease")
	}
	if acquire("b", t0.Add(time.Second)) {
		t.Fatal("b got the lease a holds")
	}
	if !acquire("a", t0) || !acquire("a", t0.Add(30*time.Second)) {
		t.Fatal("a could not renew its lease (also within the same millisecond)")
	}
	if acquire("b", t0.Add(ttl)) {
		t.Fatal("b got the lease a renewed before it expired")
	}
	if !acquire("b", t0.Add(30*time.Second+ttl)) {
		t.Fatal("b did not get the lease once a's renewal expired")
	}
	if acquire("a", t0.Add(31*time.Second+ttl)) {
		t.Fatal("a took its expired lease back from b")
	}

	if err := store.ReleaseLease(ctx, name, "a"); err != nil {
		t.Fatal(err)
	}
	if acquire("a", t0.Add(32*time.Second+ttl)) {
		t.Fatal("a released b's lease")
	}
	if err := store.ReleaseLease(ctx, name, "b"); err != nil {
		t.Fatal(err)
	}
	if !acquire("a", t0.Add(33*time.Second+ttl)) {
		t.Fatal("a did not get the lease b released")
	}
}

// TestLeasesMigration: a database from before the leases table gets it.
func TestLeasesMigration(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	if err := db.Migrator().DropTable("leases"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612011300_leases").Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate a database without leases: %v", err)
	}
	if !db.Migrator().HasTable("leases") {
		t.Fatal("no leases table after migrating")
	}
	if held, err := store.AcquireLease(ctx, "job", "a", models.Now(), time.Minute); err != nil || !held {
		t.Fatalf("acquire on the migrated table: %v, %v", held, err)
	}
}

// TestLeaseRace: holders asking for a free lease at the same moment get
// it once between them.
func TestLeaseRace(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	now := models.Now()
	const holders = 8
	got := make(chan bool, holders)
	for i := range holders {
		go func() {
			held, err := store.AcquireLease(t.Context(), "job", string(rune('a'+i)), now, time.Minute)
			if err != nil {
				t.Errorf("acquire: %v", err)
			}
			got <- held
		}()
	}
	n := 0
	for range holders {
		if <-got {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d holders got the lease, want 1", n)
	}
}
