package server

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
)

type eventInput struct {
	ID           *string           `json:"id"`
	Type         *models.EventType `json:"type"`
	MessageID    *string           `json:"message_id"`
	ProfileID    *string           `json:"profile_id"`
	SubprofileID *string           `json:"subprofile_id"`
	Timestamp    *time.Time        `json:"timestamp"`
	IP           *string           `json:"ip"`
	UserAgent    *string           `json:"useragent"`
	Referer      *string           `json:"referer"`
	URL          *string           `json:"url"`
	Data         models.Fields     `json:"data"`
}

func (in *eventInput) validate() fieldErrors {
	var errs fieldErrors
	errs.text("id", in.ID, 255)
	if in.ID != nil && strings.HasPrefix(*in.ID, models.OperationalKeyPrefix) {
		errs.add("id", "ids starting with "+models.OperationalKeyPrefix+" are hookflow's own")
	}
	switch {
	case in.Type == nil:
		errs.add("type", "is required")
	case !in.Type.Valid():
		errs.add("type", "unknown event type; known: "+eventTypeList())
	case in.Type.IsOperational():
		errs.add("type", string(*in.Type)+" events are emitted by hookflow only; they cannot be submitted")
	case in.Type.IsProfileEvent() && in.ProfileID == nil && in.SubprofileID == nil:
		errs.add("profile_id", "a profile event needs profile_id or subprofile_id")
	case !in.Type.IsProfileEvent() && in.MessageID == nil:
		errs.add("message_id", "is required for "+string(*in.Type)+" events")
	}
	if in.IP != nil {
		// 64 bytes is the column; only a zone ("fe80::1%eth0") can make a valid address longer.
		if _, err := netip.ParseAddr(*in.IP); err != nil || len(*in.IP) > 64 {
			errs.add("ip", "must be an IPv4 or IPv6 address")
		}
	}
	errs.optionalText("useragent", in.UserAgent, 1024)
	errs.optionalText("referer", in.Referer, 2048)
	if in.URL != nil {
		if _, err := netpolicy.ParseCallbackURL(*in.URL); err != nil {
			errs.add("url", err.Error())
		}
	}
	errs.fields("data", in.Data)
	errs.storedJSON("data", in.Data)
	return errs
}

// createEvent accepts an event from the mail system or another source. It
// answers 202 only once the event is stored; a repeated client id answers
// with the first event and never causes a second delivery.
func (s *Server) createEvent(c *gin.Context) {
	var in eventInput
	if !decodeJSON(c, &in) || in.validate().answered(c) {
		return
	}
	ctx := c.Request.Context()
	// A duplicate is answered before its references are checked: a mail
	// system retrying an event whose message was deleted since still
	// learns that the event was accepted the first time.
	if in.ID != nil {
		if existing, err := s.Store.EventByClientID(ctx, accountOf(c), *in.ID); err == nil {
			c.JSON(http.StatusAccepted, gin.H{"id": existing.ID, "duplicate": true})
			return
		}
	}
	e, errs, err := s.eventOf(c, in) // validated above
	if err != nil {
		storeError(c, err)
		return
	}
	if errs.answered(c) {
		return
	}
	err = s.Store.CreateEvent(ctx, e)
	if errors.Is(err, models.ErrConflict) && in.ID != nil { // a concurrent duplicate won the race
		if existing, err := s.Store.EventByClientID(ctx, accountOf(c), *in.ID); err == nil {
			c.JSON(http.StatusAccepted, gin.H{"id": existing.ID, "duplicate": true})
			return
		}
	}
	if err != nil {
		storeError(c, err)
		return
	}
	s.dispatch(e)
	c.JSON(http.StatusAccepted, gin.H{"id": e.ID, "duplicate": false})
}

// newEvent turns an event input into the event to store: it checks the
// input and fills in the scope its message, profile or subprofile give it.
// Every endpoint that accepts events builds them here and only here. What
// is wrong with the input comes back as errs; a database failure as err.
func (s *Server) newEvent(c *gin.Context, in eventInput) (*models.Event, fieldErrors, error) {
	if errs := in.validate(); len(errs) > 0 {
		return nil, errs, nil
	}
	return s.eventOf(c, in)
}

// eventOf is newEvent for an input already validated.
func (s *Server) eventOf(c *gin.Context, in eventInput) (e *models.Event, errs fieldErrors, err error) {
	now := models.Now()
	e = &models.Event{
		ID:         models.NewID(models.PrefixEvent),
		AccountID:  accountOf(c),
		ClientID:   in.ID,
		Type:       *in.Type,
		OccurredAt: now,
		ReceivedAt: now,
		IP:         deref(in.IP),
		UserAgent:  deref(in.UserAgent),
		Referer:    deref(in.Referer),
		URL:        deref(in.URL),
		Data:       in.Data,
	}
	if in.Timestamp != nil {
		e.OccurredAt = in.Timestamp.UTC().Truncate(time.Millisecond)
	}
	if errs, err = s.scopeEvent(c, e, in); err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return e, nil, nil
}

// scopeEvent fills in the message, profile, subprofile, collection and
// database the event belongs to, so webhooks scoped to them match.
func (s *Server) scopeEvent(c *gin.Context, e *models.Event, in eventInput) (fieldErrors, error) {
	if in.MessageID != nil {
		msg, errs, err := lookUpReference[models.Message](c, s.Store, "message_id", *in.MessageID)
		if err != nil || errs != nil {
			return errs, err
		}
		if in.ProfileID != nil || in.SubprofileID != nil {
			return fieldErrors{{Field: "message_id", Reason: "the message names its profile and subprofile; leave profile_id and subprofile_id out"}}, nil
		}
		e.MessageID, e.ProfileID, e.SubprofileID, e.DatabaseID = &msg.ID, &msg.ProfileID, msg.SubprofileID, &msg.DatabaseID
	}
	if in.SubprofileID != nil {
		sub, errs, err := lookUpReference[models.Subprofile](c, s.Store, "subprofile_id", *in.SubprofileID)
		if err != nil || errs != nil {
			return errs, err
		}
		if in.ProfileID != nil && *in.ProfileID != sub.ProfileID {
			return fieldErrors{{Field: "subprofile_id", Reason: "subprofile belongs to another profile"}}, nil
		}
		e.SubprofileID, e.ProfileID, e.CollectionID = &sub.ID, &sub.ProfileID, &sub.CollectionID
	}
	if in.ProfileID != nil && in.SubprofileID == nil {
		e.ProfileID = in.ProfileID
	}
	if e.ProfileID != nil && e.DatabaseID == nil {
		p, errs, err := lookUpReference[models.Profile](c, s.Store, "profile_id", *e.ProfileID)
		if err != nil || errs != nil {
			return errs, err
		}
		e.DatabaseID = &p.DatabaseID
	}
	if e.SubprofileID != nil && e.CollectionID == nil {
		// The message's subprofile may be deleted since it was sent; the
		// event about the message still counts, without a collection, as
		// tracking hits do.
		sub, err := models.Get[models.Subprofile](c.Request.Context(), s.Store, *e.SubprofileID)
		switch {
		case err == nil:
			e.CollectionID = &sub.CollectionID
		case !errors.Is(err, models.ErrNotFound):
			return nil, err
		}
	}
	return nil, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
