package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/tracking"
)

type messageInput struct {
	ProfileID    *string     `json:"profile_id"`
	SubprofileID *string     `json:"subprofile_id"`
	Tags         []string    `json:"tags"`
	Links        []linkInput `json:"links"`
}

type linkInput struct {
	URL  *string  `json:"url"`
	Tags []string `json:"tags"`
}

const maxLinksPerMessage = 1000

func (in *messageInput) validate() fieldErrors {
	var errs fieldErrors
	if in.ProfileID == nil {
		errs.add("profile_id", "is required")
	}
	errs.tags("tags", in.Tags)
	if len(in.Links) > maxLinksPerMessage {
		errs.add("links", "must have at most 1000 links")
	}
	for i, l := range in.Links {
		field := "links[" + strconv.Itoa(i) + "]"
		if l.URL == nil {
			errs.add(field+".url", "is required")
		} else if _, err := netpolicy.ParseCallbackURL(*l.URL); err != nil {
			errs.add(field+".url", err.Error())
		}
		errs.tags(field+".tags", l.Tags)
	}
	return errs
}

// messageView is a message as the API shows it: with its tracking URLs.
type messageView struct {
	*models.Message
	OpenURL   string   `json:"open_url"`
	ClickURLs []string `json:"click_urls"`
}

func (s *Server) routeMessages(v1 *gin.RouterGroup) {
	v1.POST("/messages", s.createMessage)
	v1.GET("/messages/:id", s.getMessage)
}

func (s *Server) createMessage(c *gin.Context) {
	var in messageInput
	if !decodeJSON(c, &in) || in.validate().answered(c) {
		return
	}
	profile, ok := reference[models.Profile](c, s.Store, "profile_id", *in.ProfileID)
	if !ok {
		return
	}
	if in.SubprofileID != nil {
		sub, ok := reference[models.Subprofile](c, s.Store, "subprofile_id", *in.SubprofileID)
		if !ok {
			return
		}
		if sub.ProfileID != profile.ID {
			invalid(c, FieldError{Field: "subprofile_id", Reason: "subprofile belongs to another profile"})
			return
		}
	}
	msg := models.Message{
		ID:           models.NewID(models.PrefixMessage),
		Owned:        profile.Owned,
		DatabaseID:   profile.DatabaseID,
		ProfileID:    profile.ID,
		SubprofileID: in.SubprofileID,
		Recipient:    profile.Email,
		Tags:         orEmptyList(in.Tags),
		Links:        make([]models.Link, 0, len(in.Links)),
	}
	for i, l := range in.Links {
		msg.Links = append(msg.Links, models.Link{ID: models.NewID(models.PrefixLink), Position: i, URL: *l.URL, Tags: orEmptyList(l.Tags)})
	}
	if err := s.Store.Create(c.Request.Context(), &msg); err != nil {
		storeError(c, err)
		return
	}
	respondContentTagged(c, http.StatusCreated, s.messageView(&msg))
}

func (s *Server) getMessage(c *gin.Context) {
	msg, err := s.Store.GetMessage(c.Request.Context(), c.Param("id"), models.InAccount(accountOf(c)))
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, "message", c.Param("id"))
		return
	}
	if err != nil {
		storeError(c, err)
		return
	}
	respondContentTagged(c, http.StatusOK, s.messageView(msg))
}

func (s *Server) messageView(msg *models.Message) messageView {
	v := messageView{
		Message:   msg,
		OpenURL:   s.PublicURL + "/t/o/" + s.Tracking.Make(tracking.Target{Kind: tracking.Open, MessageID: msg.ID}),
		ClickURLs: make([]string, 0, len(msg.Links)),
	}
	for _, l := range msg.Links {
		v.ClickURLs = append(v.ClickURLs, s.PublicURL+"/t/c/"+s.Tracking.Make(tracking.Target{Kind: tracking.Click, MessageID: msg.ID, Link: l.Position}))
	}
	return v
}
