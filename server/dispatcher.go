package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
)

// Defaults of the dispatcher's size.
const (
	defaultDispatchWorkers = 4
	defaultDispatchQueue   = 10000
)

// temporalCallTimeout bounds one call to Temporal made for a request or
// for an event, so an outage holds nothing up for longer.
const temporalCallTimeout = 3 * time.Second

// dispatchPause is how long the dispatcher leaves new events to the sweeper
// after starting a workflow failed, instead of waiting on Temporal for each.
const dispatchPause = 5 * time.Second

// markTimeout bounds recording that an event's workflow was started.
const markTimeout = 5 * time.Second

// dispatcher starts the delivery workflows of stored events in the
// background, so that no answer waits on Temporal. It never holds up its
// caller: an event it does not start (the queue is full, Temporal is
// failing, the server is stopping) is already stored with dispatched_at
// NULL, and the sweeper starts it later. Starting twice is harmless: the
// workflow id is the event's.
type dispatcher struct {
	workflows Workflows
	store     *models.Store
	queue     chan models.EventRef
	left      *prometheus.CounterVec

	stopping    chan struct{}
	stopOnce    sync.Once
	workers     sync.WaitGroup
	pausedUntil atomic.Int64 // unix nanoseconds
}

func newDispatcher(w Workflows, store *models.Store, workers, queue int, left *prometheus.CounterVec) *dispatcher {
	if workers <= 0 {
		workers = defaultDispatchWorkers
	}
	if queue <= 0 {
		queue = defaultDispatchQueue
	}
	d := &dispatcher{workflows: w, store: store, queue: make(chan models.EventRef, queue), left: left, stopping: make(chan struct{})}
	if w == nil {
		return d // no Temporal: every event waits for a sweeper that has one
	}
	d.workers.Add(workers)
	for range workers {
		go d.work()
	}
	return d
}

// enqueue hands stored events to the workers without waiting.
func (d *dispatcher) enqueue(events ...*models.Event) {
	if d.workflows == nil {
		return
	}
	for _, e := range events {
		select {
		case <-d.stopping:
			d.left.WithLabelValues("shutdown").Inc()
			continue
		default:
		}
		ref := e.Ref()
		if !ref.Wanted() {
			continue // stored settled and dispatched: no webhook wants it
		}
		select {
		case d.queue <- ref:
		default:
			d.left.WithLabelValues("queue_full").Inc()
		}
	}
}

func (d *dispatcher) work() {
	defer d.workers.Done()
	for {
		select {
		case <-d.stopping:
			return
		case ref := <-d.queue:
			d.start(ref)
		}
	}
}

// start starts one event's workflow and records it, unless Temporal failed
// a moment ago.
func (d *dispatcher) start(ref models.EventRef) {
	if time.Now().UnixNano() < d.pausedUntil.Load() {
		d.left.WithLabelValues("temporal_failing").Inc()
		return
	}
	err := startDelivery(context.Background(), d.workflows, d.store, ref)
	switch {
	case err == nil:
	case refusedByTemporal(err):
		d.left.WithLabelValues("refused").Inc()
		slog.Error("Temporal refused to start an event's delivery; the sweeper will try again", "event_id", ref.ID, "error", err)
	default:
		d.left.WithLabelValues("temporal_failing").Inc()
		until := time.Now().Add(dispatchPause).UnixNano()
		if previous := d.pausedUntil.Swap(until); time.Now().UnixNano() >= previous {
			slog.Warn("could not start a delivery workflow; new events go to the sweeper for a while",
				"event_id", ref.ID, "pause", dispatchPause, "error", err)
		}
	}
}

// stop stops taking events and waits until the calls under way end or ctx
// does. Events still queued stay for the sweeper.
func (d *dispatcher) stop(ctx context.Context) error {
	d.stopOnce.Do(func() { close(d.stopping) })
	done := make(chan struct{})
	go func() {
		d.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		if n := len(d.queue); n > 0 {
			d.left.WithLabelValues("shutdown").Add(float64(n))
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
