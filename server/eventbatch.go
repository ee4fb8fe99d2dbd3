package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// maxBatchEvents is the most events one batch may carry.
const maxBatchEvents = 1000

// Batch result statuses.
const (
	batchAccepted  = "accepted"
	batchDuplicate = "duplicate"
	batchInvalid   = "invalid"
)

// batchResult is the outcome of one event of a batch.
type batchResult struct {
	Status  string   `json:"status"`
	ID      string   `json:"id,omitempty"`
	Index   *int     `json:"index,omitempty"`
	Problem *Problem `json:"problem,omitempty"`
}

// pendingEvent is a valid event of a batch, with its place in it.
type pendingEvent struct {
	index int
	event *models.Event
}

// createEventBatch accepts up to 1,000 events, each as POST /v1/events
// takes one, and stores the valid ones in one transaction. It answers a
// result per event, in order: 202 when every event is stored (accepted now
// or before), 200 when some are invalid. An invalid event never keeps the
// others out.
func (s *Server) createEventBatch(c *gin.Context) {
	var batch struct {
		Events []json.RawMessage `json:"events"`
	}
	if !decodeJSON(c, &batch) {
		return
	}
	if n := len(batch.Events); n == 0 || n > maxBatchEvents {
		invalid(c, FieldError{Field: "events", Reason: fmt.Sprintf("must hold 1 to %d events; it holds %d", maxBatchEvents, n)})
		return
	}
	results := make([]batchResult, len(batch.Events))
	var pending []pendingEvent
	for i, raw := range batch.Events {
		var in eventInput
		if bad := decodeStrictly(raw, &in); bad != nil {
			results[i] = invalidInBatch(c, i, http.StatusBadRequest, "malformed JSON", *bad)
			continue
		}
		e, errs, err := s.newEvent(c, in)
		if err != nil {
			storeError(c, err)
			return
		}
		if len(errs) > 0 {
			results[i] = invalidInBatch(c, i, http.StatusUnprocessableEntity, invalidDetail(errs), errs...)
			continue
		}
		pending = append(pending, pendingEvent{i, e})
	}
	stored, ok := s.storeBatch(c, pending, results)
	if !ok {
		return
	}
	s.dispatch(stored...)
	status := http.StatusAccepted
	for _, r := range results {
		if r.Status == batchInvalid {
			status = http.StatusOK
		}
	}
	c.JSON(status, gin.H{"results": results})
}

// storeBatch stores the pending events whose client ids are new, in one
// transaction, and fills in their results. A concurrent request may store
// some of the same client ids first; they are then duplicates, found on the
// next try.
func (s *Server) storeBatch(c *gin.Context, pending []pendingEvent, results []batchResult) ([]*models.Event, bool) {
	const tries = 3
	for try := 1; ; try++ {
		toStore, err := s.sortOutDuplicates(c, pending, results)
		if err != nil {
			storeError(c, err)
			return nil, false
		}
		events := make([]*models.Event, len(toStore))
		for i, p := range toStore {
			events[i] = p.event
		}
		err = s.Store.CreateEvents(c.Request.Context(), events)
		if errors.Is(err, models.ErrConflict) && try < tries {
			continue
		}
		if err != nil {
			storeError(c, err)
			return nil, false
		}
		for _, p := range toStore {
			results[p.index] = batchResult{Status: batchAccepted, ID: p.event.ID}
		}
		return events, true
	}
}

// sortOutDuplicates marks the pending events whose client id is stored
// already, or taken by an earlier event of the batch, as duplicates of
// that event, and returns the others.
func (s *Server) sortOutDuplicates(c *gin.Context, pending []pendingEvent, results []batchResult) ([]pendingEvent, error) {
	var clientIDs []string
	for _, p := range pending {
		if p.event.ClientID != nil {
			clientIDs = append(clientIDs, *p.event.ClientID)
		}
	}
	taken, err := s.Store.EventIDsByClientID(c.Request.Context(), accountOf(c), clientIDs)
	if err != nil {
		return nil, err
	}
	var fresh []pendingEvent
	for _, p := range pending {
		if cid := p.event.ClientID; cid != nil {
			if id, ok := taken[*cid]; ok {
				results[p.index] = batchResult{Status: batchDuplicate, ID: id}
				continue
			}
			taken[*cid] = p.event.ID
		}
		fresh = append(fresh, p)
	}
	return fresh, nil
}

// invalidInBatch is the result of an event of the batch that is refused,
// with the problem a POST /v1/events of it alone would have answered.
// Its instance points at the event in the body.
func invalidInBatch(c *gin.Context, index, status int, detail string, errs ...FieldError) batchResult {
	p := newProblem(c.Request.URL.Path+"#/events/"+strconv.Itoa(index), status, detail, errs...)
	return batchResult{Status: batchInvalid, Index: &index, Problem: &p}
}
