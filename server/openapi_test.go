package server

// Tests that keep server/openapi.json true to the router: every route is
// described and every description has a route, the public/authenticated
// split matches, and real answers of the handlers fit the schemas.
//
// Identifiers here start with "oas" so they do not collide with helpers
// that other internal test files of this package may define.

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/tracking"
)

const oasToken = "openapi-test-token"

// oasMethods are the operation keys of an OpenAPI path item.
var oasMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oasDoc parses the embedded description.
func oasDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("server/openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// oasEngine builds the real router over a fresh store. Private networks are
// allowed so webhook URLs need no DNS; there is no Temporal (Workflows nil).
func oasEngine(t *testing.T) *gin.Engine {
	t.Helper()
	return oasEngineOver(t, modelstest.Open(t))
}

// oasEngineOver is oasEngine over the given store, for a test that sets up
// what the API cannot reach without a worker (deliveries, recoveries).
func oasEngineOver(t *testing.T, store *models.Store) *gin.Engine {
	t.Helper()
	key, err := signing.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{
		Store:        store,
		APIToken:     oasToken,
		PublicURL:    "http://hookflow.test",
		MaxBodyBytes: 64 << 10,
		Network:      netpolicy.Policy{AllowPrivate: true},
		Tracking:     tracking.NewTokens("openapi-test"),
		SigningKeys:  []signing.PublicKey{key.Public()},
	})
	engine, ok := s.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("Handler() is a %T, not a *gin.Engine", s.Handler())
	}
	return engine
}

var oasGinParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// oasRouteKey names a Gin route as the description would: "GET /v1/x/{id}".
func oasRouteKey(r gin.RouteInfo) string {
	return r.Method + " " + oasGinParam.ReplaceAllString(r.Path, "{$1}")
}

// oasOperations maps "METHOD /path" to each operation the description has.
func oasOperations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("server/openapi.json has no paths object")
	}
	ops := map[string]map[string]any{}
	for path, raw := range paths {
		item, ok := raw.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for _, m := range oasMethods {
			if op, ok := item[m].(map[string]any); ok {
				ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return ops
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := oasDoc(t)
	ops := oasOperations(t, doc)
	routes := map[string]bool{}
	for _, r := range oasEngine(t).Routes() {
		routes[oasRouteKey(r)] = true
	}
	var missing, extra []string
	for key := range routes {
		if ops[key] == nil {
			missing = append(missing, key)
		}
	}
	for key := range ops {
		if !routes[key] {
			extra = append(extra, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, key := range missing {
		t.Errorf("route %s is served but not described in server/openapi.json", key)
	}
	for _, key := range extra {
		t.Errorf("server/openapi.json describes %s, but no route serves it", key)
	}

	seen := map[string]string{}
	for key, op := range ops {
		id, _ := op["operationId"].(string)
		switch {
		case id == "":
			t.Errorf("%s has no operationId", key)
		case seen[id] != "":
			t.Errorf("operationId %q is used by both %s and %s", id, seen[id], key)
		default:
			seen[id] = key
		}
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := oasDoc(t)
	v := &oasValidator{doc: doc}
	var walk func(node any, at string)
	walk = func(node any, at string) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok {
				if _, err := v.resolve(ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, child := range n {
				walk(child, at+"/"+k)
			}
		case []any:
			for i, child := range n {
				walk(child, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "#")
}

func TestOpenAPIServedDocument(t *testing.T) {
	rec := httptest.NewRecorder()
	oasEngine(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json without a token: %d, want 200", rec.Code)
	}
	if mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type %q, want application/json", rec.Header().Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET /openapi.json is not valid JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi is %q, want 3.1.x", v)
	}
	for _, key := range []string{"info", "paths", "components"} {
		if _, ok := doc[key].(map[string]any); !ok {
			t.Errorf("the served document has no %s object", key)
		}
	}
}

// TestOpenAPISecurityMatchesAuth calls every route without a token: the
// ones answering 401 must need bearerAuth in the description, the others
// must declare `security: []`.
func TestOpenAPISecurityMatchesAuth(t *testing.T) {
	doc := oasDoc(t)
	ops := oasOperations(t, doc)
	engine := oasEngine(t)
	global, _ := doc["security"].([]any)
	for _, r := range engine.Routes() {
		key := oasRouteKey(r)
		op := ops[key]
		if op == nil {
			continue // reported by TestOpenAPIDescribesEveryRoute
		}
		security := global
		if s, ok := op["security"]; ok {
			security, _ = s.([]any)
		}
		described := slices.ContainsFunc(security, func(req any) bool {
			m, _ := req.(map[string]any)
			return len(m) > 0
		})
		rec := httptest.NewRecorder()
		engine.ServeHTTP(rec, httptest.NewRequest(r.Method, oasGinParam.ReplaceAllString(r.Path, "x"), nil))
		served := rec.Code == http.StatusUnauthorized
		switch {
		case served && !described:
			t.Errorf("%s answers 401 without a token, but the description has no security requirement for it", key)
		case !served && described:
			t.Errorf("%s answers %d without a token, but the description requires bearerAuth; add \"security\": []", key, rec.Code)
		}
	}
}

// TestOpenAPIResponsesMatchSchemas drives the API through a realistic
// session and checks each exchange against the description: the request
// body fits its schema, the status is documented, declared headers are
// sent, and the body fits the schema of its media type. Response objects
// may not carry members the schema does not declare, so a field added to
// a model shows up here until it is described.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	store := modelstest.Open(t)
	h := &oasHarness{t: t, engine: oasEngineOver(t, store), v: &oasValidator{doc: oasDoc(t)}, covered: map[string]bool{}}
	const missingDB = "db_00000000000000000000000000"

	// System and authentication.
	h.do(oasRequest{method: "GET", path: "/healthz", want: 200})
	h.do(oasRequest{method: "GET", path: "/readyz", want: 200})
	h.do(oasRequest{method: "GET", path: "/openapi.json", want: 200})
	h.do(oasRequest{method: "GET", path: "/metrics", want: 200})
	h.do(oasRequest{method: "GET", path: "/metrics", noAuth: true, want: 401})
	h.do(oasRequest{method: "GET", path: "/v1/databases", noAuth: true, want: 401})

	// Accounts and their keys.
	acc := h.id(h.do(oasRequest{method: "POST", path: "/v1/accounts", body: `{"name":"Acme"}`, want: 201}))
	h.do(oasRequest{method: "GET", path: "/v1/accounts", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/accounts/{id}", id: acc, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/accounts/{id}", id: acc, body: `{"name":"Acme GmbH"}`, want: 200})
	key := h.id(h.do(oasRequest{method: "POST", path: "/v1/accounts/{id}/keys", id: acc, body: `{"name":"ci"}`, want: 201}))
	h.do(oasRequest{method: "GET", path: "/v1/accounts/{id}/keys", id: acc, want: 200})
	h.do(oasRequest{method: "DELETE", path: "/v1/accounts/{id}/keys/{key_id}", id: acc, keyID: key, want: 204})
	h.do(oasRequest{method: "DELETE", path: "/v1/accounts/{id}", id: "acc_default", want: 409})
	h.do(oasRequest{method: "DELETE", path: "/v1/accounts/{id}", id: acc, want: 204})

	// Databases, with the generic body errors.
	db := h.id(h.do(oasRequest{method: "POST", path: "/v1/databases", body: `{"name":"Newsletter","description":"Weekly news"}`, want: 201}))
	h.do(oasRequest{method: "POST", path: "/v1/databases", body: `name=x`, contentType: "application/x-www-form-urlencoded", invalidBody: true, want: 415})
	h.do(oasRequest{method: "POST", path: "/v1/databases", body: `{"name":"x","colour":"red"}`, invalidBody: true, want: 400})
	h.do(oasRequest{method: "POST", path: "/v1/databases", body: `{}`, invalidBody: true, want: 422})
	h.do(oasRequest{method: "POST", path: "/v1/databases", body: `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, invalidBody: true, want: 413})
	h.do(oasRequest{method: "GET", path: "/v1/databases", query: "limit=1", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/databases", query: "limit=0", want: 400})
	h.do(oasRequest{method: "GET", path: "/v1/databases/{id}", id: db, want: 200})
	dbTag := h.last.Get("ETag")
	h.do(oasRequest{method: "GET", path: "/v1/databases/{id}", id: missingDB, want: 404})
	h.do(oasRequest{method: "PATCH", path: "/v1/databases/{id}", id: db, body: `{"description":""}`, ifMatch: dbTag, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/databases/{id}", id: db, body: `{"name":"Stale"}`, ifMatch: dbTag, want: 412})

	// Collections, profiles, subprofiles.
	col := h.id(h.do(oasRequest{method: "POST", path: "/v1/databases/{id}/collections", id: db, body: `{"name":"Orders"}`, want: 201}))
	h.do(oasRequest{method: "GET", path: "/v1/databases/{id}/collections", id: db, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/collections/{id}", id: col, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/collections/{id}", id: col, body: `{"name":"Purchases"}`, want: 200})
	prf := h.id(h.do(oasRequest{method: "POST", path: "/v1/databases/{id}/profiles", id: db,
		body: `{"email":"ann@example.com","fields":{"first_name":"Ann","score":3},"interests":["news"]}`, want: 201}))
	h.do(oasRequest{method: "GET", path: "/v1/databases/{id}/profiles", id: db, query: "email=ann%40example.com", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/profiles/{id}", id: prf, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/profiles/{id}", id: prf, body: `{"fields":{"first_name":null,"city":"Utrecht"},"interests":[]}`, want: 200})
	sub := h.id(h.do(oasRequest{method: "POST", path: "/v1/profiles/{id}/subprofiles", id: prf,
		body: `{"collection_id":"` + col + `","fields":{"total":12.5}}`, want: 201}))
	h.do(oasRequest{method: "GET", path: "/v1/profiles/{id}/subprofiles", id: prf, query: "collection_id=" + col, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/subprofiles/{id}", id: sub, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/subprofiles/{id}", id: sub, body: `{"fields":{"total":null}}`, want: 200})

	// Messages and their tracking links.
	msg := h.do(oasRequest{method: "POST", path: "/v1/messages",
		body: `{"profile_id":"` + prf + `","subprofile_id":"` + sub + `","tags":["welcome"],"links":[{"url":"https://example.com/a","tags":["cta"]}]}`, want: 201})
	plain := h.id(h.do(oasRequest{method: "POST", path: "/v1/messages", body: `{"profile_id":"` + prf + `"}`, want: 201}))
	h.do(oasRequest{method: "POST", path: "/v1/messages", body: `{"profile_id":"prf_00000000000000000000000000"}`, want: 422})
	h.do(oasRequest{method: "GET", path: "/v1/messages/{id}", id: h.id(msg), want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/messages/{id}", id: plain, want: 200})
	if m, ok := msg.(map[string]any); ok {
		openURL, _ := m["open_url"].(string)
		clicks, _ := m["click_urls"].([]any)
		h.do(oasRequest{method: "GET", path: "/t/o/{token}", id: oasLastSegment(openURL), want: 200})
		if len(clicks) == 1 {
			click, _ := clicks[0].(string)
			h.do(oasRequest{method: "GET", path: "/t/c/{token}", id: oasLastSegment(click), want: 302})
		} else {
			t.Errorf("message with one link has click_urls %v", clicks)
		}
	}
	h.do(oasRequest{method: "GET", path: "/t/o/{token}", id: "bm9wZQ.bm9wZQ", want: 404})

	// Events.
	evt := h.id(h.do(oasRequest{method: "POST", path: "/v1/events", body: `{"id":"mta-1","type":"delivery","message_id":"` + h.id(msg) + `"}`, want: 202}))
	h.do(oasRequest{method: "POST", path: "/v1/events", body: `{"id":"mta-1","type":"delivery","message_id":"` + h.id(msg) + `"}`, want: 202})
	h.do(oasRequest{method: "GET", path: "/v1/events/{id}", id: evt, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/deliveries/{id}", id: "dlv_00000000000000000000000000", want: 404})
	h.do(oasRequest{method: "POST", path: "/v1/events",
		body: `{"type":"profile.update","profile_id":"` + prf + `","timestamp":"2025-11-24T05:11:00Z","ip":"203.0.113.7","data":{"source":"crm"}}`, want: 202})
	h.do(oasRequest{method: "POST", path: "/v1/events", body: `{"type":"open"}`, invalidBody: true, want: 422})
	h.do(oasRequest{method: "POST", path: "/v1/events/batch", body: `{"events":[{"id":"mta-1","type":"delivery","message_id":"` + h.id(msg) + `"},` +
		`{"id":"mta-2","type":"bounce","message_id":"` + h.id(msg) + `","data":{"code":"550"}}]}`, want: 202})
	h.do(oasRequest{method: "POST", path: "/v1/events/batch", body: `{"events":[{"id":"mta-3","type":"delivery","message_id":"` + h.id(msg) + `"},` +
		`{"type":"opened","message_id":"` + h.id(msg) + `"},{"type":"open","message_id":"` + h.id(msg) + `","colour":"red"}]}`, invalidBody: true, want: 200})
	h.do(oasRequest{method: "POST", path: "/v1/events/batch", body: `{"events":[]}`, invalidBody: true, want: 422})

	// Webhooks.
	wh := h.id(h.do(oasRequest{method: "POST", path: "/v1/webhooks",
		body: `{"url":"https://hooks.example.com/hookflow","events":["open","click"],"collection_id":"` + col + `","description":"CRM"}`, want: 201}))
	h.do(oasRequest{method: "POST", path: "/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":["open"],"status":"active"}`, invalidBody: true, want: 422})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks", query: "event=open&status=unverified&database_id=" + db + "&collection_id=" + col + "&limit=10", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks", query: "event=nope", want: 400})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks/{id}", id: wh, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/webhooks/{id}", id: wh, body: `{"format":"form","events":["open"],"database_id":"` + db + `"}`, want: 200})
	h.do(oasRequest{method: "PATCH", path: "/v1/webhooks/{id}", id: wh, body: `{"status":"active"}`, want: 422})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks/{id}/verification-file", id: wh, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks/{id}/deliveries", id: wh, query: "status=failed&event_type=open&since=2026-01-01T00:00:00Z", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks/{id}/deliveries", id: wh, query: "since=soon", want: 400})
	h.do(oasRequest{method: "GET", path: "/v1/webhooks/{id}/stats", id: wh, want: 200})

	// A delivery, as a worker records it; resending and recovering need Temporal.
	failed := oasFailedDelivery(t, store, evt, wh)
	h.do(oasRequest{method: "GET", path: "/v1/deliveries/{id}", id: failed, want: 200})
	h.do(oasRequest{method: "POST", path: "/v1/deliveries/{id}/resend", id: failed, want: 503})
	h.do(oasRequest{method: "POST", path: "/v1/deliveries/{id}/resend", id: "dlv_00000000000000000000000000", want: 404})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/recover", id: wh, body: `{"since":"2026-01-01T00:00:00Z","dry_run":true}`, want: 200})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/recover", id: wh, body: `{"since":"2026-01-01T00:00:00Z","max_rps":0}`, invalidBody: true, want: 422})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/recover", id: wh, body: `{"since":"2026-01-01T00:00:00Z","max_rps":5}`, want: 409}) // unverified
	rec := oasRecovery(t, store, wh)
	h.do(oasRequest{method: "GET", path: "/v1/recoveries/{id}", id: rec, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/recoveries/{id}", id: "rec_00000000000000000000000000", want: 404})
	h.do(oasRequest{method: "POST", path: "/v1/recoveries/{id}/cancel", id: rec, want: 200})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/verify", id: wh, want: 503}) // no Temporal here
	// The testing tool refuses an unverified webhook before Temporal; Check
	// now needs none without active webhooks (webhooktest_oas_test.go has
	// the answers of real tests).
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/test", id: wh, body: `{"event_type":"click"}`, want: 409})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/test", id: wh, body: `{"event_type":"opened"}`, invalidBody: true, want: 422})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/check", want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/databases/{id}/webhooks", id: db, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/collections/{id}/webhooks", id: col, want: 200})
	h.do(oasRequest{method: "GET", path: "/v1/signing-keys", want: 200})

	// Deletes: refused while a webhook is linked, then in order.
	h.do(oasRequest{method: "DELETE", path: "/v1/databases/{id}", id: db, want: 409})
	h.do(oasRequest{method: "DELETE", path: "/v1/collections/{id}", id: col, want: 409})
	h.do(oasRequest{method: "DELETE", path: "/v1/webhooks/{id}", id: wh, ifMatch: "v1", want: 400})
	h.do(oasRequest{method: "DELETE", path: "/v1/webhooks/{id}", id: wh, ifMatch: `"stale"`, want: 412})
	h.do(oasRequest{method: "DELETE", path: "/v1/webhooks/{id}", id: wh, want: 204})
	h.do(oasRequest{method: "DELETE", path: "/v1/webhooks/{id}", id: wh, want: 404})
	h.do(oasRequest{method: "DELETE", path: "/v1/subprofiles/{id}", id: sub, want: 204})
	h.do(oasRequest{method: "DELETE", path: "/v1/profiles/{id}", id: prf, want: 204})
	h.do(oasRequest{method: "DELETE", path: "/v1/collections/{id}", id: col, want: 204})
	h.do(oasRequest{method: "DELETE", path: "/v1/databases/{id}", id: db, want: 204})

	var untested []string
	for key := range oasOperations(t, h.v.doc) {
		if !h.covered[key] {
			untested = append(untested, key)
		}
	}
	sort.Strings(untested)
	for _, key := range untested {
		t.Logf("not exercised by this test yet: %s", key)
	}
}

func oasLastSegment(u string) string { return u[strings.LastIndex(u, "/")+1:] }

// oasFailedDelivery records a delivery of the event to the webhook whose
// one attempt failed, as a worker would, and returns its id.
func oasFailedDelivery(t *testing.T, store *models.Store, eventID, webhookID string) string {
	t.Helper()
	e, err := models.Get[models.Event](t.Context(), store, eventID)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := store.EnsureDeliveries(t.Context(), e, []models.Webhook{{ID: webhookID, Status: models.WebhookActive}})
	if err != nil {
		t.Fatal(err)
	}
	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: ds[0].ID, Number: 1, StatusCode: 404, StartedAt: models.Now()}
	if err := store.RecordAttempt(t.Context(), models.AttemptRecord{Attempt: att, Status: models.DeliveryFailed}); err != nil {
		t.Fatal(err)
	}
	return ds[0].ID
}

// oasRecovery stores a running recovery of the webhook, as the API makes
// one with Temporal, and returns its id.
func oasRecovery(t *testing.T, store *models.Store, webhookID string) string {
	t.Helper()
	r := models.Recovery{ID: models.NewID(models.PrefixRecovery), Owned: models.Owned{AccountID: models.DefaultAccountID}, WebhookID: webhookID,
		Since: models.Now().Add(-time.Hour), Until: models.Now(), MaxRPS: 5, Status: models.RecoveryRunning, Total: 1}
	if err := store.Create(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

// oasHarness sends requests and checks each exchange against the description.
type oasHarness struct {
	t       *testing.T
	engine  *gin.Engine
	v       *oasValidator
	covered map[string]bool
	last    http.Header // the headers of the last answer
}

type oasRequest struct {
	method      string
	path        string // as in the description: /v1/databases/{id}
	id          string // replaces the path's {id} (or its one parameter)
	keyID       string // replaces {key_id}
	query       string
	body        string
	contentType string // default application/json when there is a body
	noAuth      bool
	invalidBody bool   // the body breaks the request schema on purpose
	ifMatch     string // sent as If-Match, which the operation must declare
	want        int
}

// do sends r and returns the decoded JSON answer (nil for other media types).
func (h *oasHarness) do(r oasRequest) any {
	t := h.t
	t.Helper()
	key := r.method + " " + r.path
	h.covered[key] = true
	item, _ := h.v.doc["paths"].(map[string]any)[r.path].(map[string]any)
	op, _ := item[strings.ToLower(r.method)].(map[string]any)
	if op == nil {
		t.Fatalf("%s is not in server/openapi.json", key)
	}

	h.checkQuery(key, item, op, r.query)
	if r.ifMatch != "" && !h.declared(key, item, op, "header")["If-Match"] {
		t.Errorf("%s: header If-Match is not declared", key)
	}
	if r.body != "" && r.contentType == "" {
		h.checkRequestBody(key, op, r)
	}

	target := strings.Replace(r.path, "{key_id}", url.PathEscape(r.keyID), 1)
	target = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(target, url.PathEscape(r.id))
	if r.query != "" {
		target += "?" + r.query
	}
	req := httptest.NewRequest(r.method, target, strings.NewReader(r.body))
	if !r.noAuth {
		req.Header.Set("Authorization", "Bearer "+oasToken)
	}
	if r.ifMatch != "" {
		req.Header.Set("If-Match", r.ifMatch)
	}
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.engine.ServeHTTP(rec, req)
	h.last = rec.Header()
	if rec.Code != r.want {
		t.Fatalf("%s %s: status %d, want %d; body: %.500s", r.method, target, rec.Code, r.want, rec.Body.String())
	}

	resp, err := h.v.lookup(op, "responses", strconv.Itoa(rec.Code))
	if err != nil {
		if resp, err = h.v.lookup(op, "responses", "default"); err != nil {
			t.Errorf("%s: status %d is not documented", key, rec.Code)
			return nil
		}
	}
	respMap, _ := resp.(map[string]any)
	headers, _ := respMap["headers"].(map[string]any)
	for name := range headers {
		if rec.Header().Get(name) == "" {
			t.Errorf("%s %d: documented header %s was not sent", key, rec.Code, name)
		}
	}
	content, _ := respMap["content"].(map[string]any)
	if len(content) == 0 {
		if rec.Code == http.StatusNoContent && rec.Body.Len() > 0 {
			t.Errorf("%s: 204 with a body", key)
		}
		return nil
	}
	mt, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		t.Errorf("%s %d: answered %q, but the description has only %v", key, rec.Code, mt, slices.Sorted(maps.Keys(content)))
		return nil
	}
	schema, hasSchema := media["schema"]
	var value any
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		if err := json.Unmarshal(rec.Body.Bytes(), &value); err != nil {
			t.Errorf("%s %d: %s body is not JSON: %v", key, rec.Code, mt, err)
			return nil
		}
	case strings.HasPrefix(mt, "text/"):
		value = rec.Body.String()
	default:
		return nil // binary: nothing to validate
	}
	if hasSchema {
		for _, e := range h.v.check(schema, value, true) {
			t.Errorf("%s %d: the answer breaks the response schema: %s\nbody: %.500s", key, rec.Code, e, rec.Body.String())
		}
	}
	return value
}

// checkRequestBody checks the request schema accepts a valid test body, and
// refuses one the server is expected to refuse (invalidBody).
func (h *oasHarness) checkRequestBody(key string, op map[string]any, r oasRequest) {
	t := h.t
	t.Helper()
	schema, err := h.v.lookup(op, "requestBody", "content", "application/json", "schema")
	if err != nil {
		t.Errorf("%s: sends a JSON body but %v", key, err)
		return
	}
	var body any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("%s: test body is not JSON: %v", key, err)
	}
	errs := h.v.check(schema, body, false)
	switch {
	case r.invalidBody && len(errs) == 0:
		t.Errorf("%s: the request schema accepts %.200s, which the server refuses with %d", key, r.body, r.want)
	case !r.invalidBody:
		for _, e := range errs {
			t.Errorf("%s: the test's valid request body breaks the request schema: %s", key, e)
		}
	}
}

// checkQuery requires every query parameter sent to be declared.
func (h *oasHarness) checkQuery(key string, item, op map[string]any, query string) {
	declared := h.declared(key, item, op, "query")
	values, err := url.ParseQuery(query)
	if err != nil {
		h.t.Fatalf("%s: bad test query %q", key, query)
	}
	for name := range values {
		if !declared[name] {
			h.t.Errorf("%s: query parameter %q is not declared", key, name)
		}
	}
}

// declared are the names of the parameters in (query, header, ...) that
// the path item and the operation declare.
func (h *oasHarness) declared(key string, item, op map[string]any, in string) map[string]bool {
	declared := map[string]bool{}
	for _, list := range []any{item["parameters"], op["parameters"]} {
		params, _ := list.([]any)
		for _, p := range params {
			p, err := h.v.deref(p)
			if err != nil {
				h.t.Errorf("%s: %v", key, err)
				continue
			}
			m, _ := p.(map[string]any)
			if m["in"] == in {
				declared[fmt.Sprint(m["name"])] = true
			}
		}
	}
	return declared
}

// id returns the "id" member of a JSON object answer.
func (h *oasHarness) id(v any) string {
	h.t.Helper()
	m, _ := v.(map[string]any)
	id, _ := m["id"].(string)
	if id == "" {
		h.t.Fatalf("answer has no id: %v", v)
	}
	return id
}

// oasValidator checks JSON values against the description's schemas. It
// knows the JSON Schema keywords the description uses and refuses others,
// so a new keyword is taught here instead of silently passing.
type oasValidator struct {
	doc      map[string]any
	patterns map[string]*regexp.Regexp
}

// oasIgnored are annotations with no bearing on validity.
var oasIgnored = map[string]bool{
	"description": true, "examples": true, "example": true, "default": true, "title": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "contentMediaType": true,
}

var oasKnown = map[string]bool{
	"$ref": true, "type": true, "enum": true, "const": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"minLength": true, "maxLength": true, "pattern": true, "minimum": true, "maximum": true, "exclusiveMinimum": true,
	"format": true, "propertyNames": true, "allOf": true, "anyOf": true, "oneOf": true, "if": true, "then": true, "else": true,
}

// resolve follows a local JSON pointer such as #/components/schemas/X.
func (v *oasValidator) resolve(ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	var node any = v.doc
	for _, part := range strings.Split(pointer, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := node.(map[string]any)
		if !ok || m[part] == nil {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		node = m[part]
	}
	return node, nil
}

// deref follows $ref until it reaches a node that is not a reference.
func (v *oasValidator) deref(node any) (any, error) {
	for range 10 {
		m, ok := node.(map[string]any)
		if !ok {
			return node, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return node, nil
		}
		next, err := v.resolve(ref)
		if err != nil {
			return nil, err
		}
		node = next
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// lookup walks keys from node, following references on the way.
func (v *oasValidator) lookup(node any, keys ...string) (any, error) {
	for i, k := range keys {
		n, err := v.deref(node)
		if err != nil {
			return nil, err
		}
		m, _ := n.(map[string]any)
		if m[k] == nil {
			return nil, fmt.Errorf("the description has no %s", strings.Join(keys[:i+1], "."))
		}
		node = m[k]
	}
	return v.deref(node)
}

// check validates value. With closed, objects may not have members that the
// schema does not declare, even where it does not say additionalProperties: false.
func (v *oasValidator) check(schema, value any, closed bool) []string {
	var errs []string
	v.validate(schema, value, "$", closed, true, &errs)
	return errs
}

func (v *oasValidator) validate(schema, value any, at string, closed, ownLevel bool, errs *[]string) {
	add := func(format string, args ...any) { *errs = append(*errs, at+": "+fmt.Sprintf(format, args...)) }
	switch s := schema.(type) {
	case bool:
		if !s {
			add("no value is allowed here")
		}
		return
	case map[string]any:
		for k := range s {
			if !oasKnown[k] && !oasIgnored[k] {
				add("schema keyword %q is not supported by openapi_test.go's validator; teach it", k)
			}
		}
		if ref, ok := s["$ref"].(string); ok {
			target, err := v.resolve(ref)
			if err != nil {
				add("%v", err)
				return
			}
			v.validate(target, value, at, closed, false, errs)
		}
		v.validateMap(s, value, at, closed, ownLevel, add, errs)
	default:
		add("schema is a %T", schema)
	}
}

func (v *oasValidator) validateMap(s map[string]any, value any, at string, closed, ownLevel bool, add func(string, ...any), errs *[]string) {
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(t string) bool { return oasHasType(value, t) }) {
			add("is %s, want %s", oasTypeOf(value), strings.Join(types, " or "))
			return
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return oasEqual(e, value) }) {
		add("%v is not one of %v", value, enum)
	}
	if c, ok := s["const"]; ok && !oasEqual(c, value) {
		add("%v is not %v", value, c)
	}
	for _, sub := range oasList(s["allOf"]) {
		v.validate(sub, value, at, closed, false, errs)
	}
	if branches := oasList(s["anyOf"]); branches != nil && v.passing(branches, value, at, closed) == 0 {
		add("matches none of anyOf")
	}
	if branches := oasList(s["oneOf"]); branches != nil {
		if n := v.passing(branches, value, at, closed); n != 1 {
			add("matches %d branches of oneOf, want exactly 1", n)
		}
	}
	if cond, ok := s["if"]; ok {
		var condErrs []string
		v.validate(cond, value, at, false, false, &condErrs)
		branch := "else"
		if len(condErrs) == 0 {
			branch = "then"
		}
		if sub, ok := s[branch]; ok {
			v.validate(sub, value, at, false, false, errs)
		}
	}

	switch val := value.(type) {
	case map[string]any:
		v.validateObject(s, val, at, closed, ownLevel, add, errs)
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(val)) < n {
			add("has %d items, want at least %v", len(val), n)
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(val)) > n {
			add("has %d items, want at most %v", len(val), n)
		}
		if s["uniqueItems"] == true {
			seen := map[string]bool{}
			for _, item := range val {
				b, _ := json.Marshal(item)
				if seen[string(b)] {
					add("repeats %s", b)
				}
				seen[string(b)] = true
			}
		}
		if items, ok := s["items"]; ok {
			for i, item := range val {
				v.validate(items, item, fmt.Sprintf("%s[%d]", at, i), closed, true, errs)
			}
		}
	case string:
		n := float64(len([]rune(val)))
		if m, ok := s["minLength"].(float64); ok && n < m {
			add("%q is shorter than %v", val, m)
		}
		if m, ok := s["maxLength"].(float64); ok && n > m {
			add("is longer than %v characters", m)
		}
		if p, ok := s["pattern"].(string); ok && !v.pattern(p).MatchString(val) {
			add("%q does not match %s", val, p)
		}
		if f, ok := s["format"].(string); ok {
			if err := oasFormat(f, val); err != nil {
				add("%q is not a %s: %v", val, f, err)
			}
		}
	case float64:
		if m, ok := s["minimum"].(float64); ok && val < m {
			add("%v is less than %v", val, m)
		}
		if m, ok := s["maximum"].(float64); ok && val > m {
			add("%v is more than %v", val, m)
		}
		if m, ok := s["exclusiveMinimum"].(float64); ok && val <= m {
			add("%v is not more than %v", val, m)
		}
	}
}

func (v *oasValidator) validateObject(s, val map[string]any, at string, closed, ownLevel bool, add func(string, ...any), errs *[]string) {
	for _, name := range oasList(s["required"]) {
		if _, ok := val[fmt.Sprint(name)]; !ok {
			add("lacks required member %q", name)
		}
	}
	props, _ := s["properties"].(map[string]any)
	for name, sub := range props {
		if member, ok := val[name]; ok {
			v.validate(sub, member, at+"."+name, closed, true, errs)
		}
	}
	if names, ok := s["propertyNames"]; ok {
		for name := range val {
			v.validate(names, name, at+" key "+strconv.Quote(name), false, true, errs)
		}
	}
	if extraSchema, ok := s["additionalProperties"].(map[string]any); ok {
		for name, member := range val {
			if _, ok := props[name]; !ok {
				v.validate(extraSchema, member, at+"."+name, closed, true, errs)
			}
		}
	}
	// Unknown members are judged once, at the level that owns the object,
	// against every member declared there and in its allOf and $ref parts:
	// always when a part says additionalProperties: false, and in closed
	// mode whenever members are declared and no part allows others.
	if !ownLevel {
		return
	}
	declared, open, shut := v.declared(s)
	if open || !(shut || (closed && len(declared) > 0)) {
		return
	}
	for name := range val {
		if !declared[name] {
			add("member %q is not in the schema", name)
		}
	}
}

// declared collects the member names a schema declares through its
// properties, $ref and allOf; open reports a part that allows other
// members, shut a part with additionalProperties: false.
func (v *oasValidator) declared(schema any) (names map[string]bool, open, shut bool) {
	names = map[string]bool{}
	var walk func(any)
	walk = func(node any) {
		s, ok := node.(map[string]any)
		if !ok {
			return
		}
		if ref, ok := s["$ref"].(string); ok {
			if target, err := v.resolve(ref); err == nil {
				walk(target)
			}
		}
		for name := range oasMap(s["properties"]) {
			names[name] = true
		}
		if extra, ok := s["additionalProperties"]; ok {
			open = open || extra != false
			shut = shut || extra == false
		}
		for _, sub := range oasList(s["allOf"]) {
			walk(sub)
		}
	}
	walk(schema)
	return names, open, shut
}

// passing counts the branches value validates against.
func (v *oasValidator) passing(branches []any, value any, at string, closed bool) int {
	n := 0
	for _, b := range branches {
		var errs []string
		v.validate(b, value, at, closed, true, &errs)
		if len(errs) == 0 {
			n++
		}
	}
	return n
}

func (v *oasValidator) pattern(p string) *regexp.Regexp {
	if v.patterns == nil {
		v.patterns = map[string]*regexp.Regexp{}
	}
	if re, ok := v.patterns[p]; ok {
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = regexp.MustCompile(`\A\z.`) // matches nothing, so the value is reported
	}
	v.patterns[p] = re
	return re
}

func oasFormat(format, s string) error {
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err
	case "uri":
		u, err := url.Parse(s)
		if err == nil && !u.IsAbs() {
			err = fmt.Errorf("not absolute")
		}
		return err
	case "uri-reference":
		_, err := url.Parse(s)
		return err
	case "email":
		_, err := mail.ParseAddress(s)
		return err
	}
	return nil
}

func oasHasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

func oasTypeOf(v any) string {
	for _, t := range []string{"null", "boolean", "integer", "number", "string", "array", "object"} {
		if oasHasType(v, t) {
			return t
		}
	}
	return fmt.Sprintf("%T", v)
}

func oasEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func oasList(v any) []any {
	l, _ := v.([]any)
	return l
}

func oasMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
