package server_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// jsonValue decodes a JSON document into the generic form stored event
// data comes back in.
func jsonValue(t testing.TB, doc string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("bad expected JSON %s: %v", doc, err)
	}
	return v
}

// wantData compares an event's data with the expected JSON document.
func wantData(t testing.TB, e models.Event, doc string) {
	t.Helper()
	raw, err := json.Marshal(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	got := jsonValue(t, string(raw))
	if !reflect.DeepEqual(got, jsonValue(t, doc)) {
		t.Errorf("%s event data\n got  %s\n want %s", e.Type, raw, doc)
	}
}

func TestProfileEvents(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	db := createDatabase(t, h, "Customers")
	col := createCollection(t, h, db, "Orders")

	// checkEvent finds the one event of type t about the profile (and
	// subprofile, when not ""), checks its scope and that its delivery was
	// started, and returns it.
	checkEvent := func(t *testing.T, typ models.EventType, profile, subprofile string) models.Event {
		t.Helper()
		waitDispatched(t, store)
		var e models.Event
		if subprofile == "" {
			e = storedEvent(t, store, "type = ? AND profile_id = ? AND subprofile_id IS NULL", typ, profile)
			if e.CollectionID != nil {
				t.Errorf("profile event has collection %s", *e.CollectionID)
			}
		} else {
			e = storedEvent(t, store, "type = ? AND subprofile_id = ?", typ, subprofile)
			if deref(e.CollectionID) != col || deref(e.ProfileID) != profile {
				t.Errorf("subprofile event has profile %s collection %s, want %s %s", deref(e.ProfileID), deref(e.CollectionID), profile, col)
			}
		}
		if deref(e.DatabaseID) != db || e.MessageID != nil {
			t.Errorf("event %s has database %s message %s, want database %s and no message", e.ID, deref(e.DatabaseID), deref(e.MessageID), db)
		}
		if n := countOf(wf.recorded().Deliveries, e.ID); n != 1 || e.DispatchedAt == nil {
			t.Errorf("StartDelivery called %d times for %s (dispatched at %v), want once", n, e.ID, e.DispatchedAt)
		}
		return e
	}

	r := do(t, h, http.MethodPost, "/v1/databases/"+db+"/profiles", map[string]any{
		"email": "bob@example.com", "fields": map[string]any{"name": "Bob", "tier": "gold", "age": 40}, "interests": []string{"news"},
	})
	want(t, r, http.StatusCreated)
	prf := r.str("id")

	t.Run("profile create", func(t *testing.T) {
		e := checkEvent(t, models.EventProfileCreate, prf, "")
		wantData(t, e, `{"after": {"id": "`+prf+`", "database": "`+db+`", "email": "bob@example.com",
			"fields": {"name": "Bob", "tier": "gold", "age": 40}, "interests": ["news"]}}`)
	})

	t.Run("profile update merges fields", func(t *testing.T) {
		r := do(t, h, http.MethodPatch, "/v1/profiles/"+prf, map[string]any{
			"email": "robert@example.com", "fields": map[string]any{"name": "Robert", "tier": nil, "city": "Oslo"},
		})
		want(t, r, http.StatusOK)
		e := checkEvent(t, models.EventProfileUpdate, prf, "")
		wantData(t, e, `{
			"before": {"id": "`+prf+`", "database": "`+db+`", "email": "bob@example.com",
				"fields": {"name": "Bob", "tier": "gold", "age": 40}, "interests": ["news"]},
			"after": {"id": "`+prf+`", "database": "`+db+`", "email": "robert@example.com",
				"fields": {"name": "Robert", "age": 40, "city": "Oslo"}, "interests": ["news"]}}`)
	})

	r = do(t, h, http.MethodPost, "/v1/profiles/"+prf+"/subprofiles", map[string]any{"collection_id": col, "fields": map[string]any{"order": "A-1", "total": 9.5}})
	want(t, r, http.StatusCreated)
	sub := r.str("id")

	t.Run("subprofile create", func(t *testing.T) {
		e := checkEvent(t, models.EventProfileCreate, prf, sub)
		wantData(t, e, `{"after": {"id": "`+sub+`", "profile": "`+prf+`", "collection": "`+col+`", "fields": {"order": "A-1", "total": 9.5}}}`)
	})

	t.Run("subprofile update merges fields", func(t *testing.T) {
		want(t, do(t, h, http.MethodPatch, "/v1/subprofiles/"+sub, map[string]any{"fields": map[string]any{"total": 12, "paid": true}}), http.StatusOK)
		e := checkEvent(t, models.EventProfileUpdate, prf, sub)
		wantData(t, e, `{
			"before": {"id": "`+sub+`", "profile": "`+prf+`", "collection": "`+col+`", "fields": {"order": "A-1", "total": 9.5}},
			"after": {"id": "`+sub+`", "profile": "`+prf+`", "collection": "`+col+`", "fields": {"order": "A-1", "total": 12, "paid": true}}}`)
	})

	t.Run("subprofile delete", func(t *testing.T) {
		want(t, do(t, h, http.MethodDelete, "/v1/subprofiles/"+sub, nil), http.StatusNoContent)
		e := checkEvent(t, models.EventProfileDelete, prf, sub)
		wantData(t, e, `{"before": {"id": "`+sub+`", "profile": "`+prf+`", "collection": "`+col+`", "fields": {"order": "A-1", "total": 12, "paid": true}}}`)
	})

	t.Run("profile delete", func(t *testing.T) {
		want(t, do(t, h, http.MethodDelete, "/v1/profiles/"+prf, nil), http.StatusNoContent)
		e := checkEvent(t, models.EventProfileDelete, prf, "")
		wantData(t, e, `{"before": {"id": "`+prf+`", "database": "`+db+`", "email": "robert@example.com",
			"fields": {"name": "Robert", "age": 40, "city": "Oslo"}, "interests": ["news"]}}`)
	})

	t.Run("one event per change", func(t *testing.T) {
		waitDispatched(t, store)
		if n := len(storedEvents(t, store, "profile_id = ?", prf)); n != 6 {
			t.Errorf("%d events about the profile, want 6 (3 changes each to the profile and its subprofile)", n)
		}
		if n := len(wf.recorded().Deliveries); n != 6 {
			t.Errorf("StartDelivery called %d times, want 6", n)
		}
	})

	t.Run("refused change stores no event", func(t *testing.T) {
		other := createProfile(t, h, db, "eve@example.com")
		before := len(storedEvents(t, store, "1 = 1"))
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/profiles/"+other, map[string]any{"email": "not an address"}), http.StatusUnprocessableEntity, "email")
		wantProblem(t, do(t, h, http.MethodPost, "/v1/profiles/"+other+"/subprofiles", map[string]any{"collection_id": "col_unknown"}), http.StatusUnprocessableEntity, "collection_id")
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/profiles/"+prf, nil), http.StatusNotFound)
		if n := len(storedEvents(t, store, "1 = 1")); n != before {
			t.Errorf("refused changes stored %d events", n-before)
		}
	})
}
