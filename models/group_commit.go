package models

import (
	"context"
	"fmt"
	"sync"
)

// groupCommitMax bounds the items one shared transaction writes.
const groupCommitMax = 128

// groupCommit writes what concurrent callers hand it in shared
// transactions (group commit): while one transaction is under way, the
// items that arrive queue up, and the next transaction takes them all.
// Nobody waits for a batch to fill, so an item that arrives alone is
// written at once; under load, one commit serves many writers. A commit
// is most of what a small write costs: SQLite's single connection waits
// for it, and MySQL syncs its log for it.
type groupCommit[T any] struct {
	// write stores items in one transaction and returns one error per
	// item: one item's conflict must not fail the others.
	write func(ctx context.Context, items []T) []error

	mu      sync.Mutex
	queue   []*groupItem[T]
	writing bool
}

type groupItem[T any] struct {
	item T
	err  error
	done chan struct{}
	// lead tells a queued caller to write the next batch itself.
	lead chan struct{}
}

func newGroupCommit[T any](write func(ctx context.Context, items []T) []error) *groupCommit[T] {
	return &groupCommit[T]{write: write}
}

// do writes item, with whatever else is queued by then, and returns its
// error. The caller whose item leads the queue writes the batch, in its
// own context; the others wait for it, as their item is in its
// transaction whatever they do meanwhile.
func (g *groupCommit[T]) do(ctx context.Context, item T) error {
	p := &groupItem[T]{item: item, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.writing {
		g.mu.Unlock()
		select {
		case <-p.done:
			return p.err
		case <-p.lead:
		}
		g.mu.Lock()
	}
	g.writing = true
	batch := g.queue[:min(len(g.queue), groupCommitMax)]
	g.queue = g.queue[len(batch):]
	g.mu.Unlock()

	items := make([]T, len(batch))
	for i, q := range batch {
		items[i] = q.item
	}
	errs := g.writeOrFail(ctx, items)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.writing = false
	}
	g.mu.Unlock()
	for i, q := range batch {
		q.err = errs[i]
		if q != p {
			close(q.done)
		}
	}
	return p.err
}

// writeOrFail is write, whose panic fails the batch's items instead: the
// callers queued behind it would otherwise wait for good.
func (g *groupCommit[T]) writeOrFail(ctx context.Context, items []T) (errs []error) {
	defer func() {
		if r := recover(); r != nil {
			errs = make([]error, len(items))
			for i := range errs {
				errs[i] = fmt.Errorf("write a group of %d: %v", len(items), r)
			}
		}
	}()
	return g.write(ctx, items)
}
