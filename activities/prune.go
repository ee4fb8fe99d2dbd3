package activities

import (
	"context"
	"time"

	"github.com/hookflow/hookflow/models"
)

// PruneResult counts what retention deleted.
type PruneResult struct {
	Deliveries, Attempts, Events, IdempotencyKeys int64
	// Done is false when a run stopped at its time budget with more left.
	Done bool
}

// Add adds another run's counts; Done is the other's.
func (r *PruneResult) Add(o PruneResult) {
	r.Deliveries += o.Deliveries
	r.Attempts += o.Attempts
	r.Events += o.Events
	r.IdempotencyKeys += o.IdempotencyKeys
	r.Done = o.Done
}

// PruneExpired is retention, a regular activity the Prune workflow runs on
// a schedule. It deletes finished deliveries and their attempts, then
// settled events no delivery refers to, received more than the worker's
// Retention ago, then expired Idempotency-Key records, in small batches
// (one short transaction each, a pause between them), for at most
// pruneBudget; Done says whether it got to the end. What still waits to
// be delivered (pending deliveries, unsettled events) is never deleted.
func (a *Activities) PruneExpired(ctx context.Context) (res PruneResult, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	defer func() {
		if res.Deliveries+res.Events+res.IdempotencyKeys > 0 {
			logger(ctx).Info("Pruned expired rows", "deliveries", res.Deliveries, "attempts", res.Attempts,
				"events", res.Events, "idempotency_keys", res.IdempotencyKeys, "done", res.Done)
		}
	}()
	stopAt := time.Now().Add(pruneBudget)
	cutoff := models.Now().Add(-a.settings().Retention)
	tables := []struct {
		name  string
		prune func(context.Context, time.Time, string, int) (models.PruneBatch, error)
		count *int64
	}{
		{"deliveries", a.Store.PruneDeliveries, &res.Deliveries},
		{"events", a.Store.PruneEvents, &res.Events},
	}
	for _, table := range tables {
		for after := ""; ; {
			if !pauseBeforeBatch(ctx, stopAt) {
				return res, ctx.Err()
			}
			b, err := table.prune(ctx, cutoff, after, pruneBatch)
			if err != nil {
				return res, err
			}
			*table.count += b.Deleted
			res.Attempts += b.Attempts
			a.Metrics.prunedRows(table.name, b.Deleted)
			a.Metrics.prunedRows("delivery_attempts", b.Attempts)
			if after = b.Next; after == "" {
				break
			}
		}
	}
	for {
		if !pauseBeforeBatch(ctx, stopAt) {
			return res, ctx.Err()
		}
		n, err := a.Store.PruneIdempotentRequests(ctx, pruneBatch)
		if err != nil {
			return res, err
		}
		res.IdempotencyKeys += n
		a.Metrics.prunedRows("idempotent_requests", n)
		if n < pruneBatch {
			break
		}
	}
	res.Done = true
	return res, nil
}

// pauseBeforeBatch lets other writers in between two batches, and reports
// whether there is time for another batch.
func pauseBeforeBatch(ctx context.Context, stopAt time.Time) bool {
	if time.Now().After(stopAt) {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(pruneBatchPause):
		return true
	}
}
