package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/models"
)

// audience is what an event refers to, read from the database when the
// event's payload is rendered. A nil field was not referred to, or is gone.
type audience struct {
	Message    *models.Message
	Link       *models.Link
	Profile    *models.Profile
	Subprofile *models.Subprofile
}

// enrichedEvent loads an event with its payload. The payload is rendered
// from the database the first time and stored, so every delivery and every
// retry sends the same content even if the audience data changes later.
func (a *Activities) enrichedEvent(ctx context.Context, eventID string) (*models.Event, error) {
	e, err := models.Get[models.Event](ctx, a.Store, eventID)
	if err != nil || len(e.Payload) > 0 {
		return e, err
	}
	if err := a.renderPayload(ctx, e, nil); err != nil {
		return nil, err
	}
	stored, err := a.Store.SaveEventPayload(ctx, e)
	if err != nil {
		return nil, err
	}
	if !stored {
		// Another run stored its payload first; send that one.
		return models.Get[models.Event](ctx, a.Store, eventID)
	}
	return e, nil
}

// renderPayload renders an event's payload from the audience rows it
// refers to (read through rows when not nil, so the events of a batch
// read each row once). A payload that cannot be sent is ErrUnreadable.
func (a *Activities) renderPayload(ctx context.Context, e *models.Event, rows *audienceRows) error {
	aud, err := a.loadAudience(ctx, e, rows)
	if err != nil {
		return err
	}
	if e.Payload, err = normalize(buildPayload(e, aud)); err != nil {
		// What the event carries cannot be sent (e.g. it nests too deep to
		// read back): no retry will change that.
		return fmt.Errorf("%w: payload of event %s: %v", models.ErrUnreadable, e.ID, err)
	}
	return nil
}

// audienceRows are the audience rows read so far, by id, shared by the
// events rendered together.
type audienceRows struct {
	messages    map[string]*models.Message
	profiles    map[string]*models.Profile
	subprofiles map[string]*models.Subprofile
}

func newAudienceRows() *audienceRows {
	return &audienceRows{messages: map[string]*models.Message{}, profiles: map[string]*models.Profile{}, subprofiles: map[string]*models.Subprofile{}}
}

// cached reads the row id from cache if it is there (nil rows: none),
// else with read, and keeps it (a row not found too).
func cached[T any](cache map[string]*T, rows *audienceRows, id string, read func() (*T, error)) (*T, error) {
	if rows != nil {
		if v, ok := cache[id]; ok {
			return v, nil
		}
	}
	v, err := found(read())
	if err == nil && rows != nil {
		cache[id] = v
	}
	return v, err
}

// loadAudience reads the message, profile and subprofile an event refers
// to and fills the event's missing ids from them (see fillScope).
func (a *Activities) loadAudience(ctx context.Context, e *models.Event, rows *audienceRows) (audience, error) {
	var aud audience
	var err error
	var messages map[string]*models.Message
	var profiles map[string]*models.Profile
	var subprofiles map[string]*models.Subprofile
	if rows != nil {
		messages, profiles, subprofiles = rows.messages, rows.profiles, rows.subprofiles
	}
	if id := e.MessageID; id != nil {
		if aud.Message, err = cached(messages, rows, *id, func() (*models.Message, error) { return a.Store.GetMessage(ctx, *id) }); err != nil {
			return aud, err
		}
		aud.Link = linkOf(aud.Message, e.LinkID)
	}
	fillScope(e, aud) // the message names the profile and subprofile
	if id := e.ProfileID; id != nil {
		if aud.Profile, err = cached(profiles, rows, *id, func() (*models.Profile, error) { return models.Get[models.Profile](ctx, a.Store, *id) }); err != nil {
			return aud, err
		}
	}
	if id := e.SubprofileID; id != nil {
		if aud.Subprofile, err = cached(subprofiles, rows, *id, func() (*models.Subprofile, error) { return models.Get[models.Subprofile](ctx, a.Store, *id) }); err != nil {
			return aud, err
		}
	}
	fillScope(e, aud) // the profile and subprofile name the database and collection
	return aud, nil
}

// found turns "not found" into nil: an event may outlive what it refers to.
func found[T any](v *T, err error) (*T, error) {
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

func linkOf(m *models.Message, linkID *string) *models.Link {
	if m == nil || linkID == nil {
		return nil
	}
	for i := range m.Links {
		if m.Links[i].ID == *linkID {
			return &m.Links[i]
		}
	}
	return nil
}

// fillScope sets the event's ids that its creator left empty from the
// audience rows loaded so far. Webhooks are matched on the database and
// collection ids, so they must be known before matching. Ids already set
// are kept, which makes it safe to call again as more rows are loaded.
func fillScope(e *models.Event, aud audience) {
	if m := aud.Message; m != nil {
		fill(&e.ProfileID, m.ProfileID)
		if m.SubprofileID != nil {
			fill(&e.SubprofileID, *m.SubprofileID)
		}
		fill(&e.DatabaseID, m.DatabaseID)
	}
	if p := aud.Profile; p != nil {
		fill(&e.DatabaseID, p.DatabaseID)
	}
	if s := aud.Subprofile; s != nil {
		fill(&e.CollectionID, s.CollectionID)
	}
}

func fill(id **string, value string) {
	if *id == nil && value != "" {
		*id = &value
	}
}

// buildPayload is the body every webhook gets for an event. ip, useragent,
// referer and tags are always present (empty when unknown) so receivers can
// read them without checking; every other key is left out when it has no
// value rather than sent empty.
func buildPayload(e *models.Event, aud audience) models.Fields {
	p := models.Fields{
		"id":        e.ID,
		"type":      string(e.Type),
		"timestamp": e.OccurredAt.UTC().Format(time.RFC3339),
		"time":      e.OccurredAt.Unix(),
		"ip":        e.IP,
		"useragent": e.UserAgent,
		"referer":   e.Referer,
		"tags":      tagsOf(aud),
	}
	setString(p, "recipient", recipientOf(aud))
	setString(p, "url", urlOf(e, aud))
	setID(p, "message", e.MessageID)
	setID(p, "database", e.DatabaseID)
	setID(p, "collection", e.CollectionID)
	if profile := profileOf(e, aud); profile != nil {
		p["profile"] = profile
	}
	if s := aud.Subprofile; s != nil {
		p["subprofile"] = models.Fields{"id": s.ID, "collection": s.CollectionID, "fields": orEmpty(s.Fields)}
	}
	if len(e.Data) > 0 {
		p["data"] = e.Data
	}
	return p
}

// tagsOf merges the message's tags with the clicked link's, first
// occurrence first.
func tagsOf(aud audience) []string {
	tags := []string{}
	seen := map[string]bool{}
	add := func(ts []string) {
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
	}
	if aud.Message != nil {
		add(aud.Message.Tags)
	}
	if aud.Link != nil {
		add(aud.Link.Tags)
	}
	return tags
}

func recipientOf(aud audience) string {
	if aud.Message != nil && aud.Message.Recipient != "" {
		return aud.Message.Recipient
	}
	if aud.Profile != nil {
		return aud.Profile.Email
	}
	return ""
}

// urlOf is the clicked link's URL for a click, else the URL the event came with.
func urlOf(e *models.Event, aud audience) string {
	if e.Type == models.EventClick && aud.Link != nil {
		return aud.Link.URL
	}
	return e.URL
}

// profileOf describes the event's profile. A profile that is gone (after
// profile.delete) is described by what the event carries: its id, its
// database and, as fields, the event's data["before"].
func profileOf(e *models.Event, aud audience) models.Fields {
	if p := aud.Profile; p != nil {
		interests := p.Interests
		if interests == nil {
			interests = []string{}
		}
		return models.Fields{"id": p.ID, "database": p.DatabaseID, "fields": orEmpty(p.Fields), "interests": interests}
	}
	if e.ProfileID == nil {
		return nil
	}
	gone := models.Fields{"id": *e.ProfileID}
	setID(gone, "database", e.DatabaseID)
	if before := e.Data["before"]; before != nil {
		gone["fields"] = before
	}
	return gone
}

func orEmpty(f models.Fields) models.Fields {
	if f == nil {
		return models.Fields{}
	}
	return f
}

func setString(p models.Fields, key, value string) {
	if value != "" {
		p[key] = value
	}
}

func setID(p models.Fields, key string, id *string) {
	if id != nil {
		setString(p, key, *id)
	}
}

// normalize gives a payload the types it has when read back from the
// database (JSON numbers as float64, lists as []any), so the first
// attempt sends exactly the bytes every later one will.
func normalize(p models.Fields) (models.Fields, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var out models.Fields
	return out, json.Unmarshal(raw, &out)
}
