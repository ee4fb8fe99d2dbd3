package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitBatchesWhatQueuesAndAnswersEachItsOwn: items handed in
// while a batch is being written go together in the next one; every item
// is written exactly once and its caller gets its own error.
func TestGroupCommitBatchesWhatQueuesAndAnswersEachItsOwn(t *testing.T) {
	var mu sync.Mutex
	written := map[int]int{}
	var batches []int
	g := newGroupCommit(func(_ context.Context, items []int) []error {
		time.Sleep(5 * time.Millisecond) // a commit: the others queue meanwhile
		mu.Lock()
		defer mu.Unlock()
		batches = append(batches, len(items))
		errs := make([]error, len(items))
		for i, item := range items {
			written[item]++
			if item%7 == 0 {
				errs[i] = fmt.Errorf("item %d: %w", item, ErrConflict)
			}
		}
		return errs
	})
	const n = 300
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = g.do(t.Context(), i) })
	}
	wg.Wait()
	for i := range n {
		if written[i] != 1 {
			t.Errorf("item %d written %d times, want once", i, written[i])
		}
		if want := i%7 == 0; errors.Is(errs[i], ErrConflict) != want || (!want && errs[i] != nil) {
			t.Errorf("item %d: error %v, want a conflict: %v", i, errs[i], want)
		}
	}
	largest := 0
	for _, b := range batches {
		largest = max(largest, b)
		if b > groupCommitMax {
			t.Errorf("a batch of %d items, want at most %d", b, groupCommitMax)
		}
	}
	if len(batches) >= n || largest < 2 {
		t.Errorf("%d batches for %d items, the largest %d: items that queued were not written together", len(batches), n, largest)
	}
	if g.writing || len(g.queue) != 0 {
		t.Errorf("left writing=%v with %d queued", g.writing, len(g.queue))
	}
}

// TestGroupCommitSurvivesAPanickingWrite: a write that panics fails its
// batch's items, and the writes after it go on.
func TestGroupCommitSurvivesAPanickingWrite(t *testing.T) {
	calls := 0
	g := newGroupCommit(func(_ context.Context, items []int) []error {
		calls++
		if calls == 1 {
			panic("driver bug")
		}
		return make([]error, len(items))
	})
	if err := g.do(t.Context(), 1); err == nil {
		t.Fatal("the panicking write's item got no error")
	}
	done := make(chan error, 1)
	go func() { done <- g.do(t.Context(), 2) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the next write: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the next write waited for good after a panic")
	}
}
