package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestFreeFormDataLimits: free-form fields and event data are refused,
// naming the field, when they nest deeper than 32 levels or do not fit
// their column, so nothing is stored that cannot be read back. 9,998
// levels once passed, and its profile.create event could never be decoded.
func TestFreeFormDataLimits(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, "").str("id")
	big := `{"big":"` + strings.Repeat("x", 70000) + `"}`

	for _, c := range []struct {
		name, method, path, body, field string
	}{
		{"profile fields 33 deep", "POST", "/v1/databases/" + a.DB + "/profiles", `{"email":"deep@example.com","fields":` + modelstest.DeeplyNestedJSON(33) + `}`, "fields"},
		{"profile fields 9,998 deep", "POST", "/v1/databases/" + a.DB + "/profiles", `{"email":"deep@example.com","fields":` + modelstest.DeeplyNestedJSON(9998) + `}`, "fields"},
		{"profile fields in an array", "POST", "/v1/databases/" + a.DB + "/profiles", `{"email":"deep@example.com","fields":{"l":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}}`, "fields"},
		{"profile patch", "PATCH", "/v1/profiles/" + a.Profile, `{"fields":` + modelstest.DeeplyNestedJSON(33) + `}`, "fields"},
		{"subprofile fields", "POST", "/v1/profiles/" + a.Profile + "/subprofiles", `{"collection_id":"` + a.Collection + `","fields":` + modelstest.DeeplyNestedJSON(33) + `}`, "fields"},
		{"subprofile patch", "PATCH", "/v1/subprofiles/" + a.Subprofile, `{"fields":` + modelstest.DeeplyNestedJSON(33) + `}`, "fields"},
		{"event data too deep", "POST", "/v1/events", `{"type":"bounce","message_id":"` + msg + `","data":` + modelstest.DeeplyNestedJSON(33) + `}`, "data"},
		{"event data too large", "POST", "/v1/events", `{"type":"bounce","message_id":"` + msg + `","data":` + big + `}`, "data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(storedEvents(t, store, "1 = 1"))
			wantProblem(t, do(t, h, c.method, c.path, c.body), http.StatusUnprocessableEntity, c.field)
			if n := len(storedEvents(t, store, "1 = 1")); n != before {
				t.Errorf("a refused request stored %d events", n-before)
			}
		})
	}

	t.Run("32 levels are stored and read back", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/databases/"+a.DB+"/profiles", `{"email":"deep@example.com","fields":`+modelstest.DeeplyNestedJSON(32)+`}`)
		want(t, r, http.StatusCreated)
		e := storedEvent(t, store, "type = ? AND profile_id = ?", models.EventProfileCreate, r.str("id"))
		after, _ := e.Data["after"].(map[string]any)
		if _, ok := after["fields"].(map[string]any); !ok {
			t.Errorf("profile.create event read back without its fields: %+v", e.Data)
		}
		want(t, do(t, h, http.MethodPost, "/v1/events", `{"type":"bounce","message_id":"`+msg+`","data":`+modelstest.DeeplyNestedJSON(32)+`}`), http.StatusAccepted)
	})
}
