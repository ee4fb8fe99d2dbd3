package server

import (
	"testing"
	"time"
)

func TestSweeperBackoffDoublesUpToItsCap(t *testing.T) {
	const every, max = 30 * time.Second, 5 * time.Minute
	var got []time.Duration
	b := time.Duration(0)
	for range 7 {
		b = nextBackoff(b, every, max)
		got = append(got, b)
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("backoffs %v, want %v", got, want)
		}
	}
	if b := nextBackoff(0, time.Hour, max); b != max {
		t.Errorf("first backoff %v with every above the cap, want the cap %v", b, max)
	}
}
