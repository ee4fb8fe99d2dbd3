package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookflow/hookflow/models"
)

// dispatch has the delivery workflows of stored events started in the
// background; the caller never waits on Temporal.
func (s *Server) dispatch(events ...*models.Event) { s.dispatcher.enqueue(events...) }

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
		if s.Workflows == nil {
			continue
		}
		events, err := s.Store.UndispatchedEvents(ctx, models.Now().Add(-minAge), "", 500)
		if err != nil {
			slog.Warn("sweep for undispatched events failed", "err", err)
			continue
		}
		for _, ref := range events {
			startCtx, cancel := context.WithTimeout(ctx, temporalCallTimeout)
			err := s.Workflows.StartDelivery(startCtx, ref.Event())
			cancel()
			if err != nil {
				slog.Warn("could not start delivery; the sweeper will retry", "event", ref.ID, "err", err)
				continue
			}
			if err := s.Store.MarkDispatched(ctx, ref.ID); err != nil {
				slog.Warn("could not mark event dispatched", "event", ref.ID, "err", err)
			}
		}
	}
}
