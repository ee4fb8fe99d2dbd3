package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/models"
)

// sweeperLease is the lease that keeps sweeping to one API process.
const sweeperLease = "undispatched-event-sweeper"

// SweepOptions tune SweepUndispatched.
type SweepOptions struct {
	// Every is how often the sweeper takes or renews its lease and, holding
	// it, sweeps.
	Every time.Duration
	// MinAge leaves younger events to the dispatcher.
	MinAge time.Duration
	// Lease is how long the lease lasts unrenewed: when its holder dies,
	// another API process takes the sweeping over this much later.
	// Default: three times Every.
	Lease time.Duration
	// MaxBackoff caps how long sweeping pauses after Temporal failed; the
	// pause doubles from Every on each failure. Default: 5 minutes.
	MaxBackoff time.Duration
	// Holder names this process in the lease. Default: host, pid and a
	// random part.
	Holder string
	// Batch is how many events are read at a time. Default: 500.
	Batch int
}

// DefaultSweepOptions are the sweeper's settings in production.
func DefaultSweepOptions() SweepOptions {
	return SweepOptions{Every: 30 * time.Second, MinAge: time.Minute}
}

func (o SweepOptions) withDefaults() SweepOptions {
	if o.Every <= 0 {
		o.Every = DefaultSweepOptions().Every
	}
	if o.Lease <= 0 {
		o.Lease = 3 * o.Every
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), models.NewID(""))
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	return o
}

// SweepUndispatched starts the delivery of events stored at least MinAge
// ago whose workflow was never started (Temporal was down, the dispatcher
// was full, or the process died in between), until ctx ends. However many
// API processes run it, a database lease lets one sweep at a time; the
// others wait to take over. A pass stops at the first failure of Temporal
// and sweeping backs off; an event Temporal refuses, or whose type is
// unknown, is reported and skipped, and never holds the others up.
func (s *Server) SweepUndispatched(ctx context.Context, opts SweepOptions) {
	sw := &sweeper{server: s, opts: opts.withDefaults()}
	defer sw.release()
	ticker := time.NewTicker(sw.opts.Every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		sw.tick(ctx)
	}
}

// sweeper is the state of one process's sweeping.
type sweeper struct {
	server *Server
	opts   SweepOptions
	held   bool
	// cursor is the id of the last event tried: the next pass goes on
	// after it, so whatever fails at the front of the queue is tried again
	// only once every event behind it has had its turn.
	cursor   string
	backoff  time.Duration
	resumeAt time.Time
}

// tick takes or renews the lease and, holding it and not backing off,
// makes one pass.
func (sw *sweeper) tick(ctx context.Context) {
	now := models.Now()
	held, err := sw.server.Store.AcquireLease(ctx, sweeperLease, sw.opts.Holder, now, sw.opts.Lease)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		slog.Warn("sweeper could not take or renew its lease", "error", err)
		held = false // not sure to hold it: do not sweep
	}
	if held != sw.held {
		sw.held = held
		sw.cursor, sw.backoff, sw.resumeAt = "", 0, time.Time{}
		if held {
			slog.Info("this process sweeps undispatched events now", "holder", sw.opts.Holder)
		} else {
			slog.Info("this process no longer sweeps undispatched events", "holder", sw.opts.Holder)
		}
	}
	if !held || sw.server.Workflows == nil || now.Before(sw.resumeAt) {
		return
	}
	// Stop well before the lease could lapse and another process start.
	passCtx, cancel := context.WithDeadline(ctx, now.Add(sw.opts.Lease*2/3))
	defer cancel()
	if err := sw.pass(passCtx); err != nil {
		sw.backoff = nextBackoff(sw.backoff, sw.opts.Every, sw.opts.MaxBackoff)
		// The pause counts from the failure, not from the pass's start: a
		// slow pass must not eat the pause Temporal was given.
		sw.resumeAt = models.Now().Add(sw.backoff)
		slog.Warn("Temporal failed; sweeping pauses", "pause", sw.backoff, "error", err)
		return
	}
	sw.backoff = 0
}

// nextBackoff doubles the pause after a failure, from every up to max.
func nextBackoff(current, every, max time.Duration) time.Duration {
	if current <= 0 {
		return min(every, max)
	}
	return min(2*current, max)
}

// pass starts the waiting events in id order from the cursor, returning
// Temporal's first failure. Reaching the end, it rewinds the cursor.
func (sw *sweeper) pass(ctx context.Context) error {
	cutoff := models.Now().Add(-sw.opts.MinAge)
	for {
		refs, err := sw.server.Store.UndispatchedEvents(ctx, cutoff, sw.cursor, sw.opts.Batch)
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("sweep for undispatched events failed", "error", err)
			}
			return nil // the database's failure, not Temporal's: try again next tick
		}
		// Events stored before they were matched when stored get their
		// match now, as storing them would have.
		if err := sw.server.Store.MatchEventRefs(ctx, refs); err != nil {
			if ctx.Err() == nil {
				slog.Warn("sweep could not match undispatched events to webhooks", "error", err)
			}
			return nil
		}
		for _, ref := range refs {
			if ctx.Err() != nil {
				return nil
			}
			sw.cursor = ref.ID
			if !ref.Type.Valid() {
				sw.skip(ref, fmt.Errorf("unknown event type %q", ref.Type))
				continue
			}
			err := startDelivery(ctx, sw.server.Workflows, sw.server.Store, ref)
			switch {
			case err == nil:
			case ctx.Err() != nil:
				// The pass ran out of its time (or the sweeper is
				// stopping) during a start: Temporal did not fail, so the
				// next tick goes on without backing off. (Backing off
				// here slowed the sweeping of a long backlog, say after a
				// Temporal outage, to one pass every MaxBackoff.)
				return nil
			case refusedByTemporal(err):
				sw.skip(ref, err)
			default:
				return err
			}
		}
		if len(refs) < sw.opts.Batch {
			sw.cursor = ""
			return nil
		}
	}
}

// skip reports an event the sweeper cannot start. It stays undispatched
// and is tried again on the sweeper's next round through the queue.
func (sw *sweeper) skip(ref models.EventRef, err error) {
	sw.server.metrics.sweepSkipped.Inc()
	slog.Error("sweeper cannot start an event's delivery; skipping it", "event_id", ref.ID, "event_type", ref.Type, "error", err)
}

// release gives the lease up on the way out, if this process has it, so
// another need not wait for it to expire.
func (sw *sweeper) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sw.server.Store.ReleaseLease(ctx, sweeperLease, sw.opts.Holder); err != nil {
		slog.Warn("sweeper could not release its lease; another process takes over when it expires", "error", err)
	}
}

// refusedByTemporal tells an event Temporal will not start (a bad argument)
// from Temporal failing.
func refusedByTemporal(err error) bool {
	var invalid *serviceerror.InvalidArgument
	return errors.As(err, &invalid)
}
