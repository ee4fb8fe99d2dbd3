package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookflow/hookflow/models"
)

// temporalCallTimeout bounds how long a request waits for Temporal, so an
// outage slows the API down only this much: events are stored first.
const temporalCallTimeout = 3 * time.Second

// dispatch starts the delivery workflow of stored events and marks them
// dispatched. A failure is only logged: the event is safe in the database
// and the sweeper starts it later.
func (s *Server) dispatch(ctx context.Context, events ...*models.Event) {
	if s.Workflows == nil {
		return
	}
	for _, e := range events {
		startCtx, cancel := context.WithTimeout(ctx, temporalCallTimeout)
		err := s.Workflows.StartDelivery(startCtx, e)
		cancel()
		if err != nil {
			slog.Warn("could not start delivery; the sweeper will retry", "event", e.ID, "err", err)
			continue
		}
		if err := s.Store.MarkDispatched(ctx, e.ID); err != nil {
			slog.Warn("could not mark event dispatched", "event", e.ID, "err", err)
		}
	}
}

// SweepUndispatched starts the delivery of events stored at least minAge
// ago whose workflow was never started (Temporal was down, or the process
// died in between), until ctx ends.
func (s *Server) SweepUndispatched(ctx context.Context, every, minAge time.Duration) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		events, err := s.Store.UndispatchedEvents(ctx, models.Now().Add(-minAge), 500)
		if err != nil {
			slog.Warn("sweep for undispatched events failed", "err", err)
			continue
		}
		for i := range events {
			s.dispatch(ctx, &events[i])
		}
	}
}
