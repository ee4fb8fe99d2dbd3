package server

import (
	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// Every change to audience data is stored with the event announcing it, in
// one transaction, and the event's delivery is started in the background
// once both are: the change and its event exist together or not at all.

// writeWithEvent stores a new row and the event announcing it.
func (s *Server) writeWithEvent(c *gin.Context, e *models.Event, write func(tx *models.Store) error) bool {
	ctx := c.Request.Context()
	err := s.Store.Transaction(ctx, func(tx *models.Store) error {
		if err := write(tx); err != nil {
			return err
		}
		return tx.CreateEvent(ctx, e)
	})
	if err != nil {
		storeError(c, err)
		return false
	}
	s.dispatch(e)
	return true
}

// announcement is the event a conditional write (models.ReviseOwned,
// RemoveOwned) stores in its transaction, computed from the rows it
// changed; the handler dispatches it once the write committed. A write that
// starts over stores the event of its last attempt only.
type announcement struct{ event *models.Event }

func (a *announcement) store(c *gin.Context, tx *models.Store, e *models.Event) error {
	a.event = e
	return tx.CreateEvent(c.Request.Context(), e)
}

// profileEvent announces a change to a profile; before and after are
// snapshots (nil for a create's before and a delete's after).
func profileEvent(t models.EventType, p *models.Profile, before, after models.Fields) *models.Event {
	now := models.Now()
	return &models.Event{
		ID: models.NewID(models.PrefixEvent), AccountID: p.AccountID, Type: t, OccurredAt: now, ReceivedAt: now,
		DatabaseID: &p.DatabaseID, ProfileID: &p.ID,
		Data: models.ChangeData(before, after),
	}
}

// subprofileEvent announces a change to a subprofile of profile p.
func subprofileEvent(t models.EventType, p *models.Profile, sub *models.Subprofile, before, after models.Fields) *models.Event {
	e := profileEvent(t, p, before, after)
	e.SubprofileID, e.CollectionID = &sub.ID, &sub.CollectionID
	return e
}
