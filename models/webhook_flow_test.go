package models_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

func rps(r float64) *float64 { return &r }

// maxInWindow is the most slots in any half-open window of length w.
func maxInWindow(slots []time.Time, w time.Duration) int {
	slots = slices.Clone(slots)
	slices.SortFunc(slots, time.Time.Compare)
	most := 0
	for i := range slots {
		n := 0
		for j := i; j < len(slots) && slots[j].Sub(slots[i]) < w; j++ {
			n++
		}
		most = max(most, n)
	}
	return most
}

func TestFlowReservationsAreSpacedByTheRate(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	w := &models.Webhook{ID: models.NewID(models.PrefixWebhook), MaxRPS: rps(5)}
	now := models.Now()
	for i := range 6 {
		slot, err := store.ReserveFlowSlot(t.Context(), w, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := now.Add(time.Duration(i) * 200 * time.Millisecond); !slot.Equal(want) {
			t.Fatalf("reservation %d got slot %v, want %v", i, slot, want)
		}
	}
	// Reservations made later start from their own time once the backlog is gone.
	later := now.Add(5 * time.Second)
	if slot, err := store.ReserveFlowSlot(t.Context(), w, nil, later); err != nil || !slot.Equal(later) {
		t.Fatalf("a reservation after an idle spell got %v (%v), want now %v", slot, err, later)
	}

	unlimited := &models.Webhook{ID: models.NewID(models.PrefixWebhook)}
	for range 3 {
		if slot, err := store.ReserveFlowSlot(t.Context(), unlimited, nil, now); err != nil || !slot.Equal(now) {
			t.Fatalf("an unlimited webhook's slot is %v (%v), want now", slot, err)
		}
	}
}

// TestConcurrentFlowReservationsNeverExceedTheRate: workers reserving
// at once, as many worker processes do, get slots of their own, 1/rate apart.
func TestConcurrentFlowReservationsNeverExceedTheRate(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	w := &models.Webhook{ID: models.NewID(models.PrefixWebhook), MaxRPS: rps(10)}
	now := models.Now()
	const workers, each = 8, 10
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				slot, err := store.ReserveFlowSlot(t.Context(), w, nil, now)
				if err != nil {
					t.Errorf("reserve: %v", err)
					return
				}
				mu.Lock()
				slots = append(slots, slot)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(slots) != workers*each {
		t.Fatalf("%d slots reserved, want %d", len(slots), workers*each)
	}
	if most := maxInWindow(slots, time.Second); most > 10 {
		t.Fatalf("%d slots in one second at max_rps 10", most)
	}
	slices.SortFunc(slots, time.Time.Compare)
	if last := slots[len(slots)-1]; !last.Equal(now.Add(7900 * time.Millisecond)) {
		t.Fatalf("the last of 80 slots at 10/s is %v after the first, want 7.9 s: no slot lost or shared", last.Sub(now))
	}
}

func TestFlowSlotLeasesHoldTheLimitAndExpire(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	webhookID := models.NewID(models.PrefixWebhook)
	now := models.Now()
	const ttl = 10 * time.Second
	acquire := func(holder string, at time.Time, limit int) bool {
		t.Helper()
		ok, err := store.AcquireFlowSlot(ctx, webhookID, limit, holder, at, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !acquire("a", now, 2) || !acquire("b", now, 2) {
		t.Fatal("two requests could not take the two free slots")
	}
	if acquire("c", now, 2) {
		t.Fatal("a third request got a slot at max_in_flight 2")
	}
	if n, err := store.FlowInFlight(ctx, webhookID, now); err != nil || n != 2 {
		t.Fatalf("in flight: %d (%v), want 2", n, err)
	}
	if err := store.ReleaseFlowSlot(ctx, webhookID, "a"); err != nil {
		t.Fatal(err)
	}
	if !acquire("c", now, 2) {
		t.Fatal("the slot a released was not free")
	}
	if !acquire("d", now, 3) {
		t.Fatal("a raised limit gave no new slot")
	}
	// b and c die without releasing: their leases expire.
	later := now.Add(ttl)
	if n, err := store.FlowInFlight(ctx, webhookID, later); err != nil || n != 0 {
		t.Fatalf("in flight once every lease expired: %d (%v), want 0", n, err)
	}
	if !acquire("e", later, 2) || !acquire("f", later, 2) {
		t.Fatal("expired leases were not reclaimed")
	}
	if acquire("g", later, 2) {
		t.Fatal("more than the limit after reclaiming")
	}
}

// TestConcurrentFlowSlotRequestsAreNeverRefusedWhileASlotIsFree: as many
// slots as racing requests, so each request must get one, however the
// requests interleave (on MySQL, two taking the same slot at once must
// not leave one of them refused).
func TestConcurrentFlowSlotRequestsAreNeverRefusedWhileASlotIsFree(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	webhookID := models.NewID(models.PrefixWebhook)
	const workers, rounds = 8, 25
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				holder := models.NewID(models.PrefixAttempt)
				ok, err := store.AcquireFlowSlot(t.Context(), webhookID, workers, holder, models.Now(), time.Minute)
				if err != nil {
					t.Errorf("acquire: %v", err)
					return
				}
				if !ok {
					refused.Add(1)
					continue
				}
				if err := store.ReleaseFlowSlot(t.Context(), webhookID, holder); err != nil {
					t.Errorf("release: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := refused.Load(); n > 0 {
		t.Fatalf("%d of %d requests were refused a slot, with a slot for each", n, workers*rounds)
	}
}

// TestConcurrentFlowSlotLeasesNeverExceedTheLimit: requests racing for
// a webhook's in-flight slots never hold more than max_in_flight at once.
func TestConcurrentFlowSlotLeasesNeverExceedTheLimit(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	webhookID := models.NewID(models.PrefixWebhook)
	const limit, workers, rounds = 3, 8, 15
	var inFlight, most, granted atomic.Int64
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for r := range rounds {
				holder := models.NewID(models.PrefixAttempt) + string(rune('a'+i)) + string(rune('a'+r))
				ok, err := store.AcquireFlowSlot(t.Context(), webhookID, limit, holder, models.Now(), time.Minute)
				if err != nil {
					t.Errorf("acquire: %v", err)
					return
				}
				if !ok {
					continue
				}
				granted.Add(1)
				n := inFlight.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(time.Millisecond)
				inFlight.Add(-1)
				if err := store.ReleaseFlowSlot(t.Context(), webhookID, holder); err != nil {
					t.Errorf("release: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if most.Load() > limit {
		t.Fatalf("%d requests in flight at once, limit %d", most.Load(), limit)
	}
	if granted.Load() < limit {
		t.Fatalf("only %d slots granted in %d tries", granted.Load(), workers*rounds)
	}
	t.Logf("%d of %d tries got a slot; at most %d at once", granted.Load(), workers*rounds, most.Load())
}

func TestSlowWebhookFlowCutsTheRateAndItRecovers(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	w := &models.Webhook{ID: models.NewID(models.PrefixWebhook), MaxRPS: rps(10)}
	now := models.Now()
	f, err := store.SlowWebhookFlow(ctx, w, 3*time.Second, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if r, limited := f.Rate(w.MaxRPS, now); !limited || r != 5 {
		t.Fatalf("rate after a cut: %v (limited %v), want 5", r, limited)
	}
	if !f.BlockedUntil().Equal(now.Add(3 * time.Second)) {
		t.Fatalf("blocked until %v, want the end of the Retry-After", f.BlockedUntil())
	}
	// Answers to requests already under way within a second cut once.
	if f, err = store.SlowWebhookFlow(ctx, w, time.Second, now.Add(400*time.Millisecond), now.Add(500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Rate(w.MaxRPS, now); r != 5 {
		t.Fatalf("a second 429 within a second cut again: %v", r)
	}
	if !f.BlockedUntil().Equal(now.Add(3 * time.Second)) {
		t.Fatal("a shorter Retry-After shortened the block")
	}
	// Nothing goes before the Retry-After ends; then slots follow the new rate.
	first, err := store.ReserveFlowSlot(ctx, w, nil, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.ReserveFlowSlot(ctx, w, nil, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if first.Before(now.Add(3*time.Second)) || second.Sub(first) < 190*time.Millisecond {
		t.Fatalf("slots %v and %v after a cut to ~5/s blocked until +3 s", first.Sub(now), second.Sub(now))
	}
	// It recovers linearly: back at max_rps 30 s after a halving.
	if r, _ := f.Rate(w.MaxRPS, now.Add(15*time.Second)); r < 7 || r > 8 {
		t.Fatalf("rate halfway through recovery: %v, want 7.5", r)
	}
	if r, limited := f.Rate(w.MaxRPS, now.Add(31*time.Second)); !limited || r != 10 {
		t.Fatalf("rate after recovery: %v, want max_rps 10", r)
	}

	// An unlimited webhook is cut from the rate it was receiving, and is
	// unlimited again once it recovered.
	u := &models.Webhook{ID: models.NewID(models.PrefixWebhook)}
	if _, err := store.ReserveFlowSlot(ctx, u, nil, now); err != nil { // sets the usage mark
		t.Fatal(err)
	}
	for i := range 40 {
		holder := models.NewID(models.PrefixAttempt) + string(rune('a'+i))
		if ok, err := store.AcquireFlowSlot(ctx, u.ID, 10, holder, now, time.Minute); err != nil || !ok {
			t.Fatalf("acquire %d: %v %v", i, ok, err)
		}
		if err := store.ReleaseFlowSlot(ctx, u.ID, holder); err != nil {
			t.Fatal(err)
		}
	}
	f, err = store.SlowWebhookFlow(ctx, u, time.Second, now.Add(4*time.Second), now.Add(4*time.Second)) // 40 requests in 4 s
	if err != nil {
		t.Fatal(err)
	}
	if r, limited := f.Rate(u.MaxRPS, now.Add(4*time.Second)); !limited || r != 5 {
		t.Fatalf("an unlimited webhook receiving 10/s was cut to %v (limited %v), want 5", r, limited)
	}
	if _, limited := f.Rate(u.MaxRPS, now.Add(40*time.Second)); limited {
		t.Fatal("an unlimited webhook stays limited after recovering")
	}
}

func TestThrottledDeliveryKeepsItsSlotUntilItsAttempt(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	d := &models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: models.Owned{AccountID: models.DefaultAccountID},
		EventID: models.NewID(models.PrefixEvent), WebhookID: models.NewID(models.PrefixWebhook), Status: models.DeliveryPending}
	if err := store.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	slot := models.Now().Add(time.Minute)
	if err := store.ThrottleDelivery(ctx, d, &slot, slot); err != nil {
		t.Fatal(err)
	}
	got, err := models.Get[models.Delivery](ctx, store, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReservedSlotAt == nil || !got.ReservedSlotAt.Equal(slot) || !got.NextAttemptAt.Equal(slot) || got.Attempts != 0 || got.Status != models.DeliveryPending {
		t.Fatalf("throttled delivery: %+v", got)
	}
	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: d.ID, Number: 1, StatusCode: 200, StartedAt: models.Now()}
	if err := store.RecordAttempt(ctx, models.AttemptRecord{Attempt: att, Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if got, err = models.Get[models.Delivery](ctx, store, d.ID); err != nil || got.ReservedSlotAt != nil {
		t.Fatalf("the attempt left its slot reserved: %+v %v", got, err)
	}
	// A delivery attempted meanwhile is not throttled by a stale read.
	if err := store.ThrottleDelivery(ctx, d, &slot, slot); err == nil {
		t.Fatal("throttled a delivery that is no longer pending")
	}
}

// TestFlowControlMigration: a database from before flow control gets its
// tables and columns, and its webhooks are unlimited, 10 at once.
func TestFlowControlMigration(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	db := store.DB(ctx)
	w := &models.Webhook{ID: models.NewID(models.PrefixWebhook), Owned: models.Owned{AccountID: models.DefaultAccountID},
		URL: "https://example.com/hook", Format: models.FormatJSON, Status: models.WebhookActive}
	if err := store.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	m := db.Migrator()
	for _, table := range []string{"webhook_flows", "webhook_flow_slots"} {
		if err := m.DropTable(table); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ table, column string }{{"webhooks", "max_rps"}, {"webhooks", "max_in_flight"}, {"deliveries", "reserved_slot_at"}} {
		if err := db.Exec("ALTER TABLE " + c.table + " DROP COLUMN " + c.column).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec("DELETE FROM schema_migrations WHERE id = ?", "202612150900_flow_control").Error; err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate a database without flow control: %v", err)
	}
	got, err := models.Get[models.Webhook](ctx, store, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxRPS != nil || got.MaxInFlight != models.DefaultMaxInFlight {
		t.Fatalf("an existing webhook has max_rps %v, max_in_flight %d", got.MaxRPS, got.MaxInFlight)
	}
	if ok, err := store.AcquireFlowSlot(ctx, w.ID, 1, "a", models.Now(), time.Minute); err != nil || !ok {
		t.Fatalf("acquire on the migrated tables: %v %v", ok, err)
	}
}
