package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestKeyedLimitsEachKeyToItsBurstAndRate(t *testing.T) {
	k := New(2, 3) // 2 a second, 3 at once
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	allowed := func(key string, at time.Time, n int) int {
		got := 0
		for range n {
			if k.Allow(key, at) {
				got++
			}
		}
		return got
	}
	if n := allowed("a", t0, 5); n != 3 {
		t.Errorf("%d of 5 at once allowed, want the burst of 3", n)
	}
	if n := allowed("b", t0, 5); n != 3 {
		t.Errorf("another key got %d of 5, want its own burst of 3", n)
	}
	if n := allowed("a", t0.Add(500*time.Millisecond), 5); n != 1 {
		t.Errorf("%d allowed half a second later, want 1 (2 a second)", n)
	}
	if n := allowed("a", t0.Add(time.Minute), 5); n != 3 {
		t.Errorf("%d allowed after a quiet minute, want the full burst", n)
	}
}

// TestKeyedForgetsIdleKeys: buckets that have refilled are dropped, so a
// stream of ever-new keys keeps memory flat.
func TestKeyedForgetsIdleKeys(t *testing.T) {
	k := New(20, 100) // refills in 5 s
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for second := range 60 {
		at := t0.Add(time.Duration(second) * time.Second)
		for i := range 1000 {
			k.Allow(fmt.Sprintf("10.0.%d.%d", second, i), at)
		}
		if n := k.Len(); n > 11000 {
			t.Fatalf("%d buckets kept at second %d, for 1,000 new keys a second refilling in 5 s", n, second)
		}
	}
	k.Allow("late", t0.Add(2*time.Minute))
	if n := k.Len(); n != 1 {
		t.Errorf("%d buckets kept after everyone went quiet, want 1", n)
	}

	// A key still limited is not forgotten when buckets are pruned.
	busy := New(1, 2) // refills in 2 s; prunes every 2 s from its first use
	busy.Allow("y", t0)
	at := t0.Add(1900 * time.Millisecond)
	if !busy.Allow("x", at) || !busy.Allow("x", at) {
		t.Fatal("x did not get its burst")
	}
	if busy.Allow("x", t0.Add(2*time.Second)) { // prunes first: y is full, x is not
		t.Error("x got a token 0.1 s after spending its burst: its bucket was forgotten")
	}
	if n := busy.Len(); n != 1 {
		t.Errorf("%d buckets after pruning, want x's alone", n)
	}
}
