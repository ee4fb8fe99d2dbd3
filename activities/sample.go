package activities

import (
	"time"

	"github.com/hookflow/hookflow/models"
)

// Sample data for test requests: made up, never stored, but shaped by the
// same code as every real payload (buildPayload), so a receiver sees
// exactly what it will get, plus "test": true.

// sampleID is an id of the kind prefix names that no real row has.
func sampleID(prefix string) string { return prefix + "00000000000000000000sample" }

// samplePayload is the payload of a made-up event of type t with id id,
// that happened at at, in w's database and collection when it is limited
// to them, marked "test": true.
func samplePayload(id string, t models.EventType, w *models.Webhook, at time.Time) (models.Fields, error) {
	e, aud := sampleEvent(id, t, w, at)
	p := buildPayload(e, aud)
	p["test"] = true
	return normalize(p)
}

// sampleEvent is a made-up event of type t and the audience it refers to:
// a message to a profile for the message events, a change to that profile
// (or to its subprofile, for a webhook limited to a collection) for the
// profile events.
func sampleEvent(id string, t models.EventType, w *models.Webhook, at time.Time) (*models.Event, audience) {
	databaseID := sampleID(models.PrefixDatabase)
	if w.DatabaseID != nil {
		databaseID = *w.DatabaseID
	}
	profile := &models.Profile{
		ID: sampleID(models.PrefixProfile), DatabaseID: databaseID, Email: "jane.doe@example.com",
		Fields:    models.Fields{"firstname": "Jane", "lastname": "Doe", "city": "Amsterdam"},
		Interests: []string{"cycling", "travel"},
	}
	var sub *models.Subprofile
	if w.CollectionID != nil {
		sub = &models.Subprofile{
			ID: sampleID(models.PrefixSubprofile), ProfileID: profile.ID, CollectionID: *w.CollectionID,
			Fields: models.Fields{"order": "A-1001", "total": 59.95},
		}
	}
	e := &models.Event{ID: id, Type: t, OccurredAt: at.UTC().Truncate(time.Second), ReceivedAt: at.UTC()}
	if t.IsOperational() {
		return sampleOperationalEvent(e, w)
	}
	if t.IsProfileEvent() {
		return sampleProfileEvent(e, profile, sub)
	}

	msg := &models.Message{
		ID: sampleID(models.PrefixMessage), DatabaseID: databaseID, ProfileID: profile.ID,
		Recipient: profile.Email, Tags: []string{"newsletter"},
		Links: []models.Link{{ID: sampleID(models.PrefixLink), URL: "https://www.example.com/offers?utm_source=newsletter", Tags: []string{"offers"}}},
	}
	aud := audience{Message: msg, Profile: profile, Subprofile: sub}
	e.MessageID = &msg.ID
	switch t {
	case models.EventOpen, models.EventClick:
		e.IP = "203.0.113.7"
		e.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
		e.Referer = "https://mail.example.com/"
		if t == models.EventClick {
			e.LinkID = &msg.Links[0].ID
			aud.Link = &msg.Links[0]
		}
	case models.EventBounce:
		e.Data = models.Fields{"envelope": "550 5.1.1 <jane.doe@example.com>: Recipient address rejected: User unknown"}
	case models.EventFailure:
		e.Data = models.Fields{"code": "421", "description": "4.7.0 Try again later, closing connection"}
	}
	if sub != nil {
		msg.SubprofileID = &sub.ID
	}
	fillScope(e, aud)
	return e, aud
}

// sampleProfileEvent makes e the creation, change or removal of the
// profile, or of its subprofile when there is one, with the snapshots real
// profile events carry.
func sampleProfileEvent(e *models.Event, profile *models.Profile, sub *models.Subprofile) (*models.Event, audience) {
	e.ProfileID, e.DatabaseID = &profile.ID, &profile.DatabaseID
	aud := audience{Profile: profile}
	before, after := profile.Snapshot(), profile.Snapshot()
	if sub != nil {
		e.SubprofileID, e.CollectionID = &sub.ID, &sub.CollectionID
		aud.Subprofile = sub
		before, after = sub.Snapshot(), sub.Snapshot()
		before["fields"] = models.Fields{"order": "A-1001", "total": 49.95}
	} else {
		before["fields"] = models.Fields{"firstname": "Jane", "lastname": "Doe", "city": "Utrecht"}
	}
	switch e.Type {
	case models.EventProfileCreate:
		e.Data = models.ChangeData(nil, after)
	case models.EventProfileUpdate:
		e.Data = models.ChangeData(before, after)
	case models.EventProfileDelete:
		e.Data = models.ChangeData(after, nil)
		if sub != nil {
			aud.Subprofile = nil // gone; the profile stays
		} else {
			aud.Profile = nil // gone: the payload describes it from data.before
		}
	}
	return e, aud
}

// sampleOperationalEvent makes e an operational event about a made-up
// webhook in w's scope, with the data the real one's constructor gives.
func sampleOperationalEvent(e *models.Event, w *models.Webhook) (*models.Event, audience) {
	at := e.OccurredAt
	subject := &models.Webhook{ID: sampleID(models.PrefixWebhook), URL: "https://crm.example.com/hooks/hookflow",
		DatabaseID: w.DatabaseID, CollectionID: w.CollectionID}
	var o models.OperationalEvent
	switch e.Type {
	case models.EventWebhookDisabled:
		o = models.WebhookDisabledEvent(subject, "the receiver answered 410 Gone at "+at.Format(time.RFC3339), at)
	case models.EventWebhookRecovered:
		o = models.WebhookRecoveredEvent(subject, 42, at)
	default:
		d := &models.Delivery{ID: sampleID(models.PrefixDelivery), EventID: sampleID(models.PrefixEvent), EventType: models.EventClick,
			WebhookID: subject.ID, Attempts: 27, FailureReason: ReasonRetryWindowRanOut, CompletedAt: &at}
		last := &models.DeliveryAttempt{Number: 27, StatusCode: 503, LatencyMillis: 120, ResponseExcerpt: "Service Unavailable", StartedAt: at.Add(-time.Second)}
		o = models.DeliveryExhaustedEvent(d, subject, last)
	}
	e.Data, e.DatabaseID, e.CollectionID = o.Data, o.DatabaseID, o.CollectionID
	return e, audience{}
}
