package activities

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

func TestEnrichOpenAddsMessageProfileAndScope(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	e := createEvent(t, a, f, models.EventOpen)

	got, err := a.enrichedEvent(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Payload
	want := map[string]any{
		"id":         e.ID,
		"type":       "open",
		"timestamp":  e.OccurredAt.UTC().Format(time.RFC3339),
		"time":       json.Number(strconv.FormatInt(e.OccurredAt.Unix(), 10)), // numbers are kept as written
		"recipient":  "ann@example.com",
		"ip":         "203.0.113.9",
		"useragent":  "Mail/1.0",
		"referer":    "https://mail.example.com/",
		"tags":       []any{"spring", "sale"},
		"message":    f.Message.ID,
		"database":   f.Database.ID,
		"collection": f.Collection.ID,
		"profile": map[string]any{
			"id": f.Profile.ID, "database": f.Database.ID,
			"fields": map[string]any{"name": "Ann", "age": json.Number("41")}, "interests": []any{"cycling"},
		},
		"subprofile": map[string]any{"id": f.Subprofile.ID, "collection": f.Collection.ID, "fields": map[string]any{"order": "A-1"}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(p[k], v) {
			t.Errorf("payload[%q] = %#v, want %#v", k, p[k], v)
		}
	}
	for _, absent := range []string{"url", "data"} {
		if _, ok := p[absent]; ok {
			t.Errorf("payload has %q = %#v, want it left out", absent, p[absent])
		}
	}

	stored, err := models.Get[models.Event](t.Context(), a.Store, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored.Payload, p) {
		t.Errorf("stored payload %v differs from the one returned %v", stored.Payload, p)
	}
	for name, id := range map[string]*string{"database": stored.DatabaseID, "collection": stored.CollectionID, "profile": stored.ProfileID, "subprofile": stored.SubprofileID} {
		if id == nil {
			t.Errorf("event's %s id was not filled in", name)
		}
	}
}

func TestEnrichClickUsesTheLinkAndMergesTags(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	e := createEvent(t, a, f, models.EventClick, func(e *models.Event) { e.LinkID = &f.Message.Links[0].ID })

	got, err := a.enrichedEvent(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u := got.Payload["url"]; u != "https://shop.example.com/shoes?a=1&b=2" {
		t.Errorf("url = %v, want the clicked link's", u)
	}
	if tags := got.Payload["tags"]; !reflect.DeepEqual(tags, []any{"spring", "sale", "shoes"}) {
		t.Errorf("tags = %v, want message tags then the link's, without duplicates", tags)
	}
	if name := got.Payload["profile"].(map[string]any)["fields"].(map[string]any)["name"]; name != "Ann" {
		t.Errorf("profile name = %v", name)
	}
}

func TestPayloadIsRenderedOnce(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	e := createEvent(t, a, f, models.EventOpen)
	first, err := a.enrichedEvent(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.Profile.Fields = models.Fields{"name": "Changed"}
	if err := a.Store.DB(t.Context()).Model(&f.Profile).Select("Fields").Updates(&f.Profile).Error; err != nil {
		t.Fatal(err)
	}
	again, err := a.enrichedEvent(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first.Payload, again.Payload) {
		t.Errorf("payload changed on the second run:\n%v\n%v", first.Payload, again.Payload)
	}
}

func TestEnrichDeletedProfileUsesEventData(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	gone := models.NewID(models.PrefixProfile)
	e := createEvent(t, a, f, models.EventProfileDelete, func(e *models.Event) {
		e.MessageID, e.ProfileID, e.DatabaseID = nil, &gone, &f.Database.ID
		e.Data = models.Fields{"before": map[string]any{"name": "Bob"}}
	})
	got, err := a.enrichedEvent(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": gone, "database": f.Database.ID, "fields": map[string]any{"name": "Bob"}}
	if !reflect.DeepEqual(got.Payload["profile"], want) {
		t.Errorf("profile = %#v, want %#v", got.Payload["profile"], want)
	}
	if !reflect.DeepEqual(got.Payload["data"], map[string]any{"before": map[string]any{"name": "Bob"}}) {
		t.Errorf("data = %#v", got.Payload["data"])
	}
	if tags := got.Payload["tags"]; !reflect.DeepEqual(tags, []any{}) {
		t.Errorf("tags = %#v, want an empty list", tags)
	}
}

func BenchmarkEnrich(b *testing.B) {
	dbID, profileID := "db_1", "prf_1"
	e := &models.Event{ID: "evt_1", Type: models.EventClick, OccurredAt: time.Now(), DatabaseID: &dbID, ProfileID: &profileID}
	msg := &models.Message{ID: "msg_1", Recipient: "ann@example.com", Tags: []string{"a", "b"}}
	aud := audience{
		Message: msg, Link: &models.Link{URL: "https://example.com/", Tags: []string{"b", "c"}},
		Profile: &models.Profile{ID: profileID, DatabaseID: dbID, Fields: models.Fields{"name": "Ann", "age": 41.0}},
	}
	for b.Loop() {
		if _, err := normalize(buildPayload(e, aud)); err != nil {
			b.Fatal(err)
		}
	}
}
