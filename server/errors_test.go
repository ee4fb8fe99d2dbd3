package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// v1Routes lists every route of the management API, as the router knows it,
// so a route added later is covered without editing these tests.
func v1Routes(t *testing.T, h http.Handler) []gin.RouteInfo {
	t.Helper()
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("Handler() is a %T, not a *gin.Engine", h)
	}
	var out []gin.RouteInfo
	for _, r := range engine.Routes() {
		if strings.HasPrefix(r.Path, "/v1/") {
			out = append(out, r)
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d /v1 routes", len(out))
	}
	return out
}

func TestRoutingAndAuth(t *testing.T) {
	t.Parallel()
	h := newServer(t)

	t.Run("health checks need no token", func(t *testing.T) {
		for path, status := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
			r := do(t, h, http.MethodGet, path, nil, withToken(""))
			want(t, r, http.StatusOK)
			if r.str("status") != status {
				t.Errorf("%s: status member %q, want %q", path, r.str("status"), status)
			}
		}
	})

	t.Run("every v1 route refuses a missing, wrong or revoked token", func(t *testing.T) {
		account := mustCreate(t, h, "/v1/accounts", map[string]any{"name": "Revoked"})
		k := do(t, h, http.MethodPost, "/v1/accounts/"+account+"/keys", map[string]any{"name": "old"})
		want(t, k, http.StatusCreated)
		want(t, do(t, h, http.MethodDelete, "/v1/accounts/"+account+"/keys/"+k.str("id"), nil), http.StatusNoContent)
		for _, route := range v1Routes(t, h) {
			path := strings.ReplaceAll(route.Path, ":id", "db_unknown")
			for name, auth := range map[string]string{
				"revoked":         "Bearer " + k.str("key"),
				"missing":         "",
				"wrong":           "Bearer wrong-token",
				"empty bearer":    "Bearer ",
				"other scheme":    "Basic " + testToken,
				"no scheme":       testToken,
				"token as prefix": "Bearer " + testToken + "x",
			} {
				r := do(t, h, route.Method, path, `{"name":"x"}`, withToken(auth))
				if r.Code != http.StatusUnauthorized {
					t.Errorf("%s %s with %s token: status %d, want 401", route.Method, path, name, r.Code)
					continue
				}
				wantProblem(t, r, http.StatusUnauthorized)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s %s: 401 without WWW-Authenticate", route.Method, path)
				}
			}
		}
	})

	t.Run("unknown route is a 404 problem", func(t *testing.T) {
		for _, path := range []string{"/nope", "/v1/nope", "/v1/databases/x/nope", "/v2/databases", "/v1/databases/", "/t/o//", "/t/c/x/"} {
			wantProblem(t, do(t, h, http.MethodGet, path, nil), http.StatusNotFound)
		}
	})

	t.Run("wrong method is a 405 problem", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{http.MethodPut, "/v1/databases"},
			{http.MethodDelete, "/v1/databases"},
			{http.MethodPost, "/v1/databases/db_x"},
			{http.MethodPut, "/v1/webhooks/wh_x"},
			{http.MethodPost, "/healthz"},
		} {
			r := do(t, h, c.method, c.path, "{}")
			wantProblem(t, r, http.StatusMethodNotAllowed)
			if r.Header.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", c.method, c.path)
			}
		}
	})

	t.Run("unknown ids are 404 problems", func(t *testing.T) {
		for _, route := range v1Routes(t, h) {
			if !strings.Contains(route.Path, ":id") {
				continue
			}
			path := strings.ReplaceAll(route.Path, ":id", "zz_01unknown")
			var body any
			if route.Method == http.MethodPost || route.Method == http.MethodPatch {
				body = map[string]any{}
			}
			r := do(t, h, route.Method, path, body)
			if r.Code != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404; body %s", route.Method, path, r.Code, r.Raw)
				continue
			}
			wantProblem(t, r, http.StatusNotFound)
		}
	})
}

// TestBadBodies sends malformed or mistyped bodies to every endpoint that
// reads one. Each must answer 4xx problem details naming the fault.
func TestBadBodies(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	a := createAudience(t, h)
	webhook := createWebhook(t, h, []string{"open"}, nil)

	type endpoint struct{ method, path string }
	endpoints := []endpoint{
		{http.MethodPost, "/v1/databases"},
		{http.MethodPatch, "/v1/databases/" + a.DB},
		{http.MethodPost, "/v1/databases/" + a.DB + "/collections"},
		{http.MethodPatch, "/v1/collections/" + a.Collection},
		{http.MethodPost, "/v1/databases/" + a.DB + "/profiles"},
		{http.MethodPatch, "/v1/profiles/" + a.Profile},
		{http.MethodPost, "/v1/profiles/" + a.Profile + "/subprofiles"},
		{http.MethodPatch, "/v1/subprofiles/" + a.Subprofile},
		{http.MethodPost, "/v1/messages"},
		{http.MethodPost, "/v1/webhooks"},
		{http.MethodPatch, "/v1/webhooks/" + webhook},
	}

	t.Run("any endpoint", func(t *testing.T) {
		huge := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
		cases := []struct {
			name        string
			body        string
			contentType string
			status      int
			field       string
		}{
			{"empty body", "", "", http.StatusBadRequest, ""},
			{"blank body", " \n\t", "", http.StatusBadRequest, ""},
			{"truncated object", `{"name":`, "", http.StatusBadRequest, "body"},
			{"not JSON", `name=x`, "", http.StatusBadRequest, "body"},
			{"single quotes", `{'name':'x'}`, "", http.StatusBadRequest, "body"},
			{"trailing comma", `{"name":"x",}`, "", http.StatusBadRequest, "body"},
			{"trailing garbage", `{} x`, "", http.StatusBadRequest, "body"},
			{"second object", `{}{}`, "", http.StatusBadRequest, "body"},
			{"stray closing brace", `{}}`, "", http.StatusBadRequest, "body"},
			{"stray closing bracket", `{}]`, "", http.StatusBadRequest, "body"},
			{"array", `[]`, "", http.StatusBadRequest, "body"},
			{"string", `"x"`, "", http.StatusBadRequest, "body"},
			{"number", `42`, "", http.StatusBadRequest, "body"},
			{"unknown field", `{"bogus":1}`, "", http.StatusBadRequest, "bogus"},
			{"text/plain", `{}`, "text/plain", http.StatusUnsupportedMediaType, ""},
			{"form", `name=x`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, ""},
			{"malformed media type", `{}`, "application/", http.StatusUnsupportedMediaType, ""},
			{"over the default 1 MiB limit", huge, "", http.StatusRequestEntityTooLarge, ""},
		}
		for _, e := range endpoints {
			for _, c := range cases {
				t.Run(e.method+" "+e.path+" "+c.name, func(t *testing.T) {
					var opts []requestOption
					if c.contentType != "" {
						opts = append(opts, withHeader("Content-Type", c.contentType))
					}
					r := do(t, h, e.method, e.path, c.body, opts...)
					if c.field == "" {
						wantProblem(t, r, c.status)
					} else {
						wantProblem(t, r, c.status, c.field)
					}
				})
			}
		}
	})

	t.Run("JSON media types are accepted", func(t *testing.T) {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
			r := do(t, h, http.MethodPatch, "/v1/databases/"+a.DB, `{"description":"d"}`, withHeader("Content-Type", ct))
			want(t, r, http.StatusOK)
		}
	})

	t.Run("a body without a Content-Type is refused", func(t *testing.T) {
		for _, e := range endpoints {
			r := do(t, h, e.method, e.path, `{}`, withHeader("Content-Type", ""))
			wantProblem(t, r, http.StatusUnsupportedMediaType)
		}
	})

	t.Run("names are exact and given once", func(t *testing.T) {
		cases := []struct {
			endpoint
			body, field string
		}{
			{endpoints[0], `{"name":"a","NAME":"b"}`, "NAME"},
			{endpoints[0], `{"Name":"a"}`, "Name"},
			{endpoints[0], `{"name":"a","name":"b"}`, "name"},
			{endpoints[1], `{"Description":"d"}`, "Description"},
			{endpoints[8], `{"profile_id":"p","links":[{"URL":"https://example.com/"}]}`, "links.URL"},
			{endpoints[9], `{"url":"https://93.184.216.34/","events":["open"],"Format":"json"}`, "Format"},
			{endpoints[10], `{"Database_ID":null}`, "Database_ID"},
		}
		for _, c := range cases {
			r := do(t, h, c.method, c.path, c.body)
			wantProblem(t, r, http.StatusBadRequest, c.field)
		}
		// Free-form data keeps its own names, whatever their case.
		r := do(t, h, http.MethodPatch, "/v1/profiles/"+a.Profile, `{"fields":{"Name":"a","name":"b","NAME":"c"}}`)
		want(t, r, http.StatusOK)
	})

	t.Run("wrong JSON types name the field", func(t *testing.T) {
		cases := []struct {
			endpoint
			body, field string
		}{
			{endpoints[0], `{"name":5}`, "name"},
			{endpoints[0], `{"name":"n","description":[]}`, "description"},
			{endpoints[1], `{"name":true}`, "name"},
			{endpoints[2], `{"name":{}}`, "name"},
			{endpoints[3], `{"name":null,"bogus":1}`, "bogus"},
			{endpoints[4], `{"email":1}`, "email"},
			{endpoints[4], `{"email":"a@example.com","fields":[]}`, "fields"},
			{endpoints[4], `{"email":"a@example.com","interests":"x"}`, "interests"},
			{endpoints[5], `{"interests":[1]}`, "interests"},
			{endpoints[6], `{"collection_id":1}`, "collection_id"},
			{endpoints[7], `{"fields":"x"}`, "fields"},
			{endpoints[8], `{"profile_id":1}`, "profile_id"},
			{endpoints[8], `{"profile_id":"p","links":{}}`, "links"},
			{endpoints[8], `{"profile_id":"p","links":[{"url":1}]}`, "links.url"},
			{endpoints[8], `{"profile_id":"p","links":[{"url":"https://example.com/","href":"x"}]}`, "href"},
			{endpoints[8], `{"profile_id":"p","tags":[null,2]}`, "tags"},
			{endpoints[9], `{"url":1}`, "url"},
			{endpoints[9], `{"url":"https://93.184.216.34/","events":"open"}`, "events"},
			{endpoints[9], `{"url":"https://93.184.216.34/","events":[1]}`, "events"},
			{endpoints[9], `{"url":"https://93.184.216.34/","events":["open"],"database_id":5}`, "database_id"},
			{endpoints[10], `{"collection_id":{}}`, "collection_id"},
			{endpoints[10], `{"format":1}`, "format"},
			{endpoints[10], `{"status":false}`, "status"},
		}
		for _, c := range cases {
			r := do(t, h, c.method, c.path, c.body)
			wantProblem(t, r, http.StatusBadRequest, c.field)
		}
	})
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	t.Parallel()
	const limit = 256
	h := newServer(t, withMaxBody(limit))
	body := func(n int) string {
		return `{"name":"` + strings.Repeat("n", 200) + `","description":"` + strings.Repeat("d", n-len(`{"name":"`)-200-len(`","description":""}`)) + `"}`
	}
	if got := len(body(limit)); got != limit {
		t.Fatalf("test body is %d bytes, want %d", got, limit)
	}
	want(t, do(t, h, http.MethodPost, "/v1/databases", body(limit)), http.StatusCreated)
	r := do(t, h, http.MethodPost, "/v1/databases", body(limit+1))
	wantProblem(t, r, http.StatusRequestEntityTooLarge)
	if !strings.Contains(r.str("detail"), fmt.Sprint(limit)) {
		t.Errorf("413 detail %q does not state the limit", r.str("detail"))
	}
}

// An e-mail address with a character that shows as nothing or as a space,
// or that turns the text around, looks like another address: refused.
func TestEmailAddressesHoldOnlyVisibleCharacters(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	db := createDatabase(t, h, "Newsletter")
	for _, email := range []string{"ann\u202e@example.com", "an\u200bn@example.com", "ann@exa\u3000mple.com", "ann@example.com\u2060", "\u00a0ann@example.com"} {
		r := do(t, h, http.MethodPost, "/v1/databases/"+db+"/profiles", map[string]any{"email": email})
		wantProblem(t, r, http.StatusUnprocessableEntity, "email")
	}
	want(t, do(t, h, http.MethodPost, "/v1/databases/"+db+"/profiles", map[string]any{"email": "zoë@example.com"}), http.StatusCreated)
}

// Numbers in free-form fields come back exactly as given, byte for byte.
func TestFreeFormNumbersComeBackExactly(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	db := createDatabase(t, h, "Newsletter")
	const fields = `{"big":9007199254740993,"price":1.50,"tiny":1e-400}`
	r := do(t, h, http.MethodPost, "/v1/databases/"+db+"/profiles", `{"email":"ann@example.com","fields":`+fields+`}`)
	want(t, r, http.StatusCreated)
	for _, got := range []response{r, do(t, h, http.MethodGet, "/v1/profiles/"+r.str("id"), nil)} {
		if !strings.Contains(string(got.Raw), `"fields":`+fields) {
			t.Errorf("profile came back as %s, want fields %s", got.Raw, fields)
		}
	}
}
