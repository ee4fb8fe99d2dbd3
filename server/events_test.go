package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// createMessage sends a message to the profile (and subprofile, when not
// ""), with links to the given URLs, and returns its API body.
func createMessage(t testing.TB, h http.Handler, profileID, subprofileID string, links ...string) response {
	t.Helper()
	body := map[string]any{"profile_id": profileID}
	if subprofileID != "" {
		body["subprofile_id"] = subprofileID
	}
	var ls []map[string]any
	for _, l := range links {
		ls = append(ls, map[string]any{"url": l})
	}
	if ls != nil {
		body["links"] = ls
	}
	r := do(t, h, http.MethodPost, "/v1/messages", body)
	want(t, r, http.StatusCreated)
	return r
}

func TestCreateEvent(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile).str("id")
	plainMsg := createMessage(t, h, a.Profile, "").str("id")

	t.Run("message event is stored with its scope", func(t *testing.T) {
		waitDispatched(t, store)
		before := len(wf.recorded().DeliveryAttempts)
		at := time.Date(2025, 3, 4, 5, 6, 7, 891_000_000, time.FixedZone("CET", 3600))
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{
			"id": "mta-1", "type": "delivery", "message_id": msg, "timestamp": at.Format(time.RFC3339Nano),
			"ip": "2001:db8::1", "useragent": "MTA/1.0", "data": map[string]any{"queue": "q7"},
		})
		want(t, r, http.StatusAccepted)
		id := r.str("id")
		if !strings.HasPrefix(id, "evt_") || r.Body["duplicate"] != false {
			t.Fatalf("POST answered %s, want {id: evt_…, duplicate: false}", r.Raw)
		}
		waitDispatched(t, store)
		e := storedEvent(t, store, "id = ?", id)
		if e.Type != models.EventDelivery || deref(e.ClientID) != "mta-1" || deref(e.MessageID) != msg ||
			deref(e.DatabaseID) != a.DB || deref(e.ProfileID) != a.Profile ||
			deref(e.SubprofileID) != a.Subprofile || deref(e.CollectionID) != a.Collection {
			t.Errorf("stored %+v, want scope db %s profile %s subprofile %s collection %s message %s",
				e, a.DB, a.Profile, a.Subprofile, a.Collection, msg)
		}
		if !e.OccurredAt.Equal(at) || e.IP != "2001:db8::1" || e.UserAgent != "MTA/1.0" || e.Data["queue"] != "q7" {
			t.Errorf("stored %+v; want timestamp %s, ip, useragent and data kept", e, at)
		}
		if e.DispatchedAt == nil {
			t.Error("event not marked dispatched although StartDelivery succeeded")
		}

		again := do(t, h, http.MethodPost, "/v1/events", map[string]any{"id": "mta-1", "type": "delivery", "message_id": msg})
		want(t, again, http.StatusAccepted)
		if again.str("id") != id || again.Body["duplicate"] != true {
			t.Errorf("repeated id answered %s, want {id: %s, duplicate: true}", again.Raw, id)
		}
		if n := len(storedEvents(t, store, "client_id = ?", "mta-1")); n != 1 {
			t.Errorf("%d events stored for client id mta-1, want 1", n)
		}
		waitDispatched(t, store)
		calls := wf.recorded()
		if got := calls.DeliveryAttempts[before:]; len(got) != 1 || got[0] != id {
			t.Errorf("StartDelivery called with %v since the first POST, want [%s] once", got, id)
		}
	})

	t.Run("message without subprofile has no collection", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": plainMsg})
		want(t, r, http.StatusAccepted)
		e := storedEvent(t, store, "id = ?", r.str("id"))
		if deref(e.DatabaseID) != a.DB || deref(e.ProfileID) != a.Profile || e.SubprofileID != nil || e.CollectionID != nil || e.ClientID != nil {
			t.Errorf("stored %+v", e)
		}
	})

	t.Run("profile events", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "profile.update", "profile_id": a.Profile, "data": map[string]any{"source": "crm"}})
		want(t, r, http.StatusAccepted)
		waitDispatched(t, store)
		e := storedEvent(t, store, "id = ?", r.str("id"))
		if e.Type != models.EventProfileUpdate || deref(e.ProfileID) != a.Profile || deref(e.DatabaseID) != a.DB ||
			e.SubprofileID != nil || e.CollectionID != nil || e.MessageID != nil || e.Data["source"] != "crm" {
			t.Errorf("stored %+v", e)
		}
		if countOf(wf.recorded().Deliveries, e.ID) != 1 {
			t.Errorf("StartDelivery not called once for %s", e.ID)
		}

		r = do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "profile.delete", "subprofile_id": a.Subprofile})
		want(t, r, http.StatusAccepted)
		e = storedEvent(t, store, "id = ?", r.str("id"))
		if deref(e.SubprofileID) != a.Subprofile || deref(e.ProfileID) != a.Profile || deref(e.DatabaseID) != a.DB || deref(e.CollectionID) != a.Collection {
			t.Errorf("stored %+v", e)
		}
	})

	t.Run("message whose subprofile is gone", func(t *testing.T) {
		b := createAudience(t, h)
		orphan := createMessage(t, h, b.Profile, b.Subprofile).str("id")
		want(t, do(t, h, http.MethodDelete, "/v1/subprofiles/"+b.Subprofile, nil), http.StatusNoContent)
		r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "bounce", "message_id": orphan})
		want(t, r, http.StatusAccepted)
		e := storedEvent(t, store, "id = ?", r.str("id"))
		if deref(e.MessageID) != orphan || deref(e.ProfileID) != b.Profile || deref(e.SubprofileID) != b.Subprofile || deref(e.DatabaseID) != b.DB || e.CollectionID != nil {
			t.Errorf("stored %+v, want the message's scope without a collection", e)
		}

		want(t, do(t, h, http.MethodDelete, "/v1/profiles/"+b.Profile, nil), http.StatusNoContent)
		r = do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "unsubscribe", "message_id": orphan})
		want(t, r, http.StatusAccepted)
		if e := storedEvent(t, store, "id = ?", r.str("id")); deref(e.ProfileID) != b.Profile || deref(e.DatabaseID) != b.DB {
			t.Errorf("stored %+v, want the message's profile and database", e)
		}
	})

	t.Run("bad input stores nothing", func(t *testing.T) {
		other := createAudience(t, h)
		for _, c := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no type", map[string]any{"message_id": msg}, 422, "type"},
			{"unknown type", map[string]any{"type": "opened", "message_id": msg}, 422, "type"},
			{"webhook.disabled is hookflow's", map[string]any{"type": "webhook.disabled", "message_id": msg}, 422, "type"},
			{"webhook.recovered is hookflow's", map[string]any{"type": "webhook.recovered"}, 422, "type"},
			{"delivery.exhausted is hookflow's", map[string]any{"type": "delivery.exhausted", "message_id": msg}, 422, "type"},
			{"id in hookflow's namespace", map[string]any{"id": "hookflow:delivery.exhausted:x", "type": "open", "message_id": msg}, 422, "id"},
			{"message event without message_id", map[string]any{"type": "click", "profile_id": a.Profile}, 422, "message_id"},
			{"profile event without profile", map[string]any{"type": "profile.create"}, 422, "profile_id"},
			{"bad ip", map[string]any{"type": "open", "message_id": msg, "ip": "999.1.1.1"}, 422, "ip"},
			{"ip with port", map[string]any{"type": "open", "message_id": msg, "ip": "192.0.2.1:80"}, 422, "ip"},
			{"bad url", map[string]any{"type": "click", "message_id": msg, "url": "javascript:alert(1)"}, 422, "url"},
			{"relative url", map[string]any{"type": "click", "message_id": msg, "url": "/landing"}, 422, "url"},
			{"blank id", map[string]any{"id": " ", "type": "open", "message_id": msg}, 422, "id"},
			{"unknown message", map[string]any{"type": "bounce", "message_id": "msg_unknown"}, 422, "message_id"},
			{"unknown profile", map[string]any{"type": "profile.update", "profile_id": "prf_unknown"}, 422, "profile_id"},
			{"unknown subprofile", map[string]any{"type": "profile.update", "subprofile_id": "sub_unknown"}, 422, "subprofile_id"},
			{"subprofile of another profile", map[string]any{"type": "profile.update", "profile_id": a.Profile, "subprofile_id": other.Subprofile}, 422, "subprofile_id"},
			{"unknown profile with a subprofile", map[string]any{"type": "profile.update", "profile_id": "prf_unknown", "subprofile_id": a.Subprofile}, 422, "subprofile_id"},
			{"message and profile", map[string]any{"type": "open", "message_id": msg, "profile_id": other.Profile}, 422, "message_id"},
			{"message and subprofile", map[string]any{"type": "open", "message_id": msg, "subprofile_id": a.Subprofile}, 422, "message_id"},
			{"profile event with message and profile", map[string]any{"type": "profile.update", "message_id": msg, "profile_id": a.Profile}, 422, "message_id"},
			{"unknown member", map[string]any{"type": "open", "message_id": msg, "msg": "x"}, 400, "msg"},
			{"timestamp not a time", map[string]any{"type": "open", "message_id": msg, "timestamp": "yesterday"}, 400, ""},
			{"type not a string", map[string]any{"type": 3, "message_id": msg}, 400, "type"},
			{"malformed JSON", `{"type":"open",`, 400, "body"},
		} {
			t.Run(c.name, func(t *testing.T) {
				waitDispatched(t, store)
				total := len(storedEvents(t, store, "1 = 1"))
				attempts := len(wf.recorded().DeliveryAttempts)
				var fields []string
				if c.field != "" {
					fields = append(fields, c.field)
				}
				wantProblem(t, do(t, h, http.MethodPost, "/v1/events", c.body), c.status, fields...)
				if n := len(storedEvents(t, store, "1 = 1")); n != total {
					t.Errorf("%d events stored after a refused POST, want %d", n, total)
				}
				if n := len(wf.recorded().DeliveryAttempts); n != attempts {
					t.Errorf("a refused POST started %d deliveries", n-attempts)
				}
			})
		}
	})
}

// TestCreateEventWithoutWorkflows stores events for the sweeper when the
// server has no Temporal.
func TestCreateEventWithoutWorkflows(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	a := createAudience(t, h)
	r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "complaint", "message_id": createMessage(t, h, a.Profile, "").str("id")})
	want(t, r, http.StatusAccepted)
	if e := storedEvent(t, store, "id = ?", r.str("id")); e.DispatchedAt != nil {
		t.Errorf("event marked dispatched without Workflows: %+v", e)
	}
}
