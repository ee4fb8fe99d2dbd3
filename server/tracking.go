package server

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/tracking"
)

// transparentGIF is the 1×1 pixel answered to every open.
var transparentGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// trackOpen records an open, unless its client or message is over the
// tracking rate limit, and answers the pixel either way.
func (s *Server) trackOpen(c *gin.Context) {
	msg, ok := s.trackedMessage(c, tracking.Open)
	if !ok {
		return
	}
	if s.trackingLimit.allow(c.ClientIP(), msg.ID) {
		s.recordHit(c, s.hitEvent(c, models.EventOpen, msg))
	}
	c.Header("Cache-Control", "no-store, max-age=0")
	c.Data(http.StatusOK, "image/gif", transparentGIF)
}

// trackClick records a click, unless its client or message is over the
// tracking rate limit, and redirects to the stored link either way, and
// only there: the token names a link by position, never a URL.
func (s *Server) trackClick(c *gin.Context) {
	msg, ok := s.trackedMessage(c, tracking.Click)
	if !ok {
		return
	}
	target, _ := s.Tracking.Parse(c.Param("token"))
	var link *models.Link
	for i := range msg.Links {
		if msg.Links[i].Position == target.Link {
			link = &msg.Links[i]
		}
	}
	if link == nil {
		abortProblem(c, http.StatusNotFound, "unknown tracking link")
		return
	}
	if s.trackingLimit.allow(c.ClientIP(), msg.ID) {
		e := s.hitEvent(c, models.EventClick, msg)
		e.LinkID, e.URL = &link.ID, link.URL
		s.recordHit(c, e)
	}
	c.Header("Cache-Control", "no-store, max-age=0")
	c.Redirect(http.StatusFound, link.URL)
}

// recordHit stores a tracking event and has its delivery started in the
// background. The person reading comes first: a storage failure is
// logged, and they still get the image or reach the page.
func (s *Server) recordHit(c *gin.Context, e *models.Event) {
	if err := s.Store.CreateEvent(c.Request.Context(), e); err != nil {
		slog.Error("could not record tracking hit", "account_id", e.AccountID, "message_id", *e.MessageID, "event_type", e.Type, "error", err)
		return
	}
	s.dispatch(e)
}

// trackedMessage checks the token and loads its message, answering 404
// itself for forged tokens and unknown messages.
func (s *Server) trackedMessage(c *gin.Context, kind tracking.Kind) (*models.Message, bool) {
	target, err := s.Tracking.Parse(c.Param("token"))
	if err != nil || target.Kind != kind {
		abortProblem(c, http.StatusNotFound, "unknown tracking link")
		return nil, false
	}
	msg, err := s.Store.GetMessage(c.Request.Context(), target.MessageID)
	if err != nil {
		abortProblem(c, http.StatusNotFound, "unknown tracking link")
		return nil, false
	}
	return msg, true
}

// hitEvent is the event of a tracking hit: who, with what, from where.
func (s *Server) hitEvent(c *gin.Context, t models.EventType, msg *models.Message) *models.Event {
	now := models.Now()
	e := &models.Event{
		ID:           models.NewID(models.PrefixEvent),
		AccountID:    msg.AccountID,
		Type:         t,
		OccurredAt:   now,
		ReceivedAt:   now,
		DatabaseID:   &msg.DatabaseID,
		ProfileID:    &msg.ProfileID,
		SubprofileID: msg.SubprofileID,
		MessageID:    &msg.ID,
		IP:           c.ClientIP(),
		UserAgent:    models.FitText(c.Request.UserAgent(), 1024),
		Referer:      models.FitText(c.Request.Referer(), 2048),
	}
	if msg.SubprofileID != nil {
		if sub, err := models.Get[models.Subprofile](c.Request.Context(), s.Store, *msg.SubprofileID); err == nil {
			e.CollectionID = &sub.CollectionID
		}
	}
	return e
}
