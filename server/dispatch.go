package server

import (
	"context"
	"log/slog"

	"github.com/hookflow/hookflow/models"
)

// dispatch counts newly stored events as accepted and has their delivery
// workflows started in the background; the caller never waits on Temporal.
// Every endpoint that stores events calls it once for each.
func (s *Server) dispatch(events ...*models.Event) {
	toStart := events[:0:0]
	for _, e := range events {
		s.metrics.eventsAccepted.WithLabelValues(string(e.Type)).Inc()
		if e.DispatchedAt == nil { // else no webhook, or only batched ones, want it: no workflow
			toStart = append(toStart, e)
		}
	}
	s.dispatcher.enqueue(toStart...)
}

// startDelivery starts one event's delivery workflow, waiting at most
// temporalCallTimeout, and records that it did. Only the start's failure is
// returned: one to record it is logged, and the sweeper starts the event
// again, harmlessly, since the workflow id is the event's.
//
// An event no webhook wants (as matched when stored, or by the sweeper)
// gets no workflow: it is recorded dispatched and settled instead.
func startDelivery(ctx context.Context, w Workflows, store *models.Store, ref models.EventRef) error {
	if !ref.Wanted() {
		return store.DispatchUnwanted(ctx, ref.ID)
	}
	startCtx, cancel := context.WithTimeout(ctx, temporalCallTimeout)
	err := w.StartDelivery(startCtx, ref.Event())
	cancel()
	if err != nil {
		return err
	}
	markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := store.MarkDispatched(markCtx, ref.ID); err != nil {
		slog.Warn("could not mark event dispatched; the sweeper will start it again", "event_id", ref.ID, "error", err)
	}
	return nil
}
