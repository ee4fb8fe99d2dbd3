package server_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/server"
)

// newAccountWithKey creates an account through the operator routes and
// returns its id and a fresh API key.
func newAccountWithKey(t testing.TB, h http.Handler, name string) (account, key string) {
	t.Helper()
	account = mustCreate(t, h, "/v1/accounts", map[string]any{"name": name})
	r := do(t, h, http.MethodPost, "/v1/accounts/"+account+"/keys", map[string]any{"name": "ci"})
	want(t, r, http.StatusCreated)
	key = r.str("key")
	if !strings.HasPrefix(key, "hfk_") || !strings.HasPrefix(key, r.str("prefix")) || len(r.str("prefix")) >= len(key) {
		t.Fatalf("new key %q with prefix %q: want hfk_… starting with a shorter prefix", key, r.str("prefix"))
	}
	return account, key
}

func asKey(key string) requestOption { return withToken("Bearer " + key) }

func TestAccountKeyActsInItsOwnAccount(t *testing.T) {
	h := newServer(t, allowPrivate)
	accountB, keyB := newAccountWithKey(t, h, "Beta")
	defaultDB := createDatabase(t, h, "Default's")

	r := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Beta's"}, asKey(keyB))
	want(t, r, http.StatusCreated)
	betaDB := r.str("id")

	list := do(t, h, http.MethodGet, "/v1/databases", nil, asKey(keyB))
	want(t, list, http.StatusOK)
	if got := list.ids(); !slices.Equal(got, []string{betaDB}) {
		t.Errorf("Beta's key lists databases %v, want only %s", got, betaDB)
	}
	list = do(t, h, http.MethodGet, "/v1/databases", nil)
	if got := list.ids(); !slices.Equal(got, []string{defaultDB}) {
		t.Errorf("the operator token lists %v in the default account, want only %s", got, defaultDB)
	}
	// The operator may act in Beta's account by naming it.
	list = do(t, h, http.MethodGet, "/v1/databases", nil, withHeader("Hookflow-Account", accountB))
	if got := list.ids(); !slices.Equal(got, []string{betaDB}) {
		t.Errorf("the operator acting in %s lists %v, want only %s", accountB, got, betaDB)
	}
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases", nil, withHeader("Hookflow-Account", "acc_nope")), http.StatusNotFound)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases", nil, asKey(keyB), withHeader("Hookflow-Account", models.DefaultAccountID)), http.StatusForbidden)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/accounts", nil, asKey(keyB)), http.StatusForbidden)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases", nil, asKey("hfk_unknown")), http.StatusUnauthorized)
}

func TestRevokedKeyIsRefusedAtOnce(t *testing.T) {
	h := newServer(t)
	account, key := newAccountWithKey(t, h, "Beta")
	want(t, do(t, h, http.MethodGet, "/v1/databases", nil, asKey(key)), http.StatusOK)

	keys := do(t, h, http.MethodGet, "/v1/accounts/"+account+"/keys", nil)
	want(t, keys, http.StatusOK)
	if len(keys.items()) != 1 || keys.items()[0]["last_used_at"] == nil || strings.Contains(string(keys.Raw), key) {
		t.Fatalf("key list %s: want one key, its last use, and never the key itself", keys.Raw)
	}
	keyID := keys.ids()[0]
	want(t, do(t, h, http.MethodDelete, "/v1/accounts/"+account+"/keys/"+keyID, nil), http.StatusNoContent)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases", nil, asKey(key)), http.StatusUnauthorized)
	wantProblem(t, do(t, h, http.MethodDelete, "/v1/accounts/"+account+"/keys/"+keyID, nil), http.StatusNotFound)
}

func TestKeysAreStoredHashed(t *testing.T) {
	var store *models.Store
	h := newServer(t, keepStore(&store))
	_, key := newAccountWithKey(t, h, "Beta")
	var n int64
	if err := store.DB(t.Context()).Model(&models.APIKey{}).Where("hash = ? OR prefix = ?", key, key).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the key is stored in clear")
	}
}

func TestAccountLifecycle(t *testing.T) {
	store := modelstest.Open(t)
	wf := &workflowsDouble{}
	h := newServer(t, func(o *server.Options) { o.Store = store }, withWorkflows(wf), allowPrivate)
	account, key := newAccountWithKey(t, h, "Beta")

	r := do(t, h, http.MethodPatch, "/v1/accounts/"+account, map[string]any{"name": "Beta GmbH"})
	want(t, r, http.StatusOK)
	if r.str("name") != "Beta GmbH" {
		t.Errorf("renamed account: %s", r.Raw)
	}
	db := mustCreateAs(t, h, key, "/v1/databases", map[string]any{"name": "B"})
	hook := mustCreateAs(t, h, key, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"open"}, "database_id": db})
	recovery := models.Recovery{ID: models.NewID(models.PrefixRecovery), Owned: models.Owned{AccountID: account}, WebhookID: hook,
		Since: models.Now().Add(-time.Hour), Until: models.Now(), MaxRPS: 1, Status: models.RecoveryRunning}
	if err := store.Create(t.Context(), &recovery); err != nil {
		t.Fatal(err)
	}

	want(t, do(t, h, http.MethodDelete, "/v1/accounts/"+account, nil), http.StatusNoContent)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/accounts/"+account, nil), http.StatusNotFound)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases", nil, asKey(key)), http.StatusUnauthorized)
	if !slices.Contains(wf.recorded().Stops, hook) {
		t.Errorf("the deleted account's webhook %s kept its verification workflow: stops %v", hook, wf.recorded().Stops)
	}
	for _, model := range []any{&models.Database{}, &models.Webhook{}, &models.APIKey{}, &models.Recovery{}} {
		var n int64
		if err := store.DB(t.Context()).Model(model).Where("account_id = ?", account).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%T: %d rows of the deleted account remain", model, n)
		}
	}
	wantProblem(t, do(t, h, http.MethodDelete, "/v1/accounts/"+models.DefaultAccountID, nil), http.StatusConflict)
}

func mustCreateAs(t testing.TB, h http.Handler, key, path string, body any) string {
	t.Helper()
	r := do(t, h, http.MethodPost, path, body, asKey(key))
	want(t, r, http.StatusCreated)
	return r.str("id")
}

// TestIsolationOnEveryRoute walks every route of the OpenAPI description
// with another account's key: each id of the default account must answer
// 404 exactly as an unknown id does, the operator's routes 403, and lists
// must show nothing of the default account. A new route fails this test
// until it says which of the default account's ids its path takes.
func TestIsolationOnEveryRoute(t *testing.T) {
	var store *models.Store
	h := newServer(t, allowPrivate, keepStore(&store))
	_, key := newAccountWithKey(t, h, "Beta")

	// Everything the default account has, one of each.
	a := createAudience(t, h)
	msg := mustCreate(t, h, "/v1/messages", map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/"}}})
	hook := mustCreate(t, h, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"open"}})
	r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg, "id": "client-1"})
	want(t, r, http.StatusAccepted)
	event := r.str("id")
	delivery := recordedDelivery(t, store, event, hook, models.DeliveryFailed, 404)
	recovery := models.Recovery{ID: models.NewID(models.PrefixRecovery), Owned: models.Owned{AccountID: models.DefaultAccountID},
		WebhookID: hook, Since: models.Now().Add(-time.Hour), Until: models.Now(), MaxRPS: 1, Status: models.RecoveryRunning}
	if err := store.Create(t.Context(), &recovery); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{
		"databases": a.DB, "collections": a.Collection, "profiles": a.Profile, "subprofiles": a.Subprofile,
		"messages": msg, "webhooks": hook, "events": event, "deliveries": delivery.ID, "recoveries": recovery.ID,
	}
	theirs := slices.Collect(maps.Values(ids))

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	spec := do(t, h, http.MethodGet, "/openapi.json", nil)
	if err := json.Unmarshal(spec.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	checked := 0
	for _, path := range paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method := range doc.Paths[path] {
			method = strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PATCH", "PUT", "DELETE"}, method) {
				continue
			}
			checked++
			name := method + " " + path
			var body any
			if method == "POST" || method == "PATCH" || method == "PUT" {
				body = map[string]any{}
			}
			segments := strings.Split(strings.TrimPrefix(path, "/v1/"), "/")
			switch {
			case segments[0] == "accounts":
				url := strings.NewReplacer("{id}", models.DefaultAccountID, "{key_id}", "apk_x").Replace(path)
				wantProblem(t, do(t, h, method, url, body, asKey(key)), http.StatusForbidden)
			case strings.Contains(path, "{id}"):
				id, ok := ids[segments[0]]
				if !ok {
					t.Errorf("%s: the isolation test has no id of the default account for /v1/%s/{id}; add one", name, segments[0])
					continue
				}
				res := do(t, h, method, strings.Replace(path, "{id}", id, 1), body, asKey(key))
				if res.Code != http.StatusNotFound {
					t.Errorf("%s with another account's id: %d, want 404; body %s", name, res.Code, res.Raw)
				}
				unknown := do(t, h, method, strings.Replace(path, "{id}", segments[0][:3]+"_unknown", 1), body, asKey(key))
				if res.Code == http.StatusNotFound && unknown.Code == http.StatusNotFound &&
					strings.ReplaceAll(res.str("detail"), id, "ID") != strings.ReplaceAll(unknown.str("detail"), segments[0][:3]+"_unknown", "ID") {
					t.Errorf("%s: another account's id answers %q, an unknown one %q: the answer tells them apart", name, res.str("detail"), unknown.str("detail"))
				}
			case method == "GET":
				res := do(t, h, method, path, nil, asKey(key))
				want(t, res, http.StatusOK)
				for _, id := range theirs {
					if strings.Contains(string(res.Raw), id) {
						t.Errorf("%s with another account's key shows %s", name, id)
					}
				}
			}
		}
	}
	if checked < 30 {
		t.Fatalf("walked only %d operations of the OpenAPI description", checked)
	}

	// Filters and references name ids too.
	for _, q := range []string{"/v1/webhooks?database_id=" + a.DB, "/v1/webhooks?collection_id=" + a.Collection} {
		wantProblem(t, do(t, h, http.MethodGet, q, nil, asKey(key)), http.StatusNotFound)
	}
	betaDB := mustCreateAs(t, h, key, "/v1/databases", map[string]any{"name": "B"})
	betaProfile := mustCreateAs(t, h, key, "/v1/databases/"+betaDB+"/profiles", map[string]any{"email": "bob@example.com"})
	wantProblem(t, do(t, h, http.MethodGet, "/v1/profiles/"+betaProfile+"/subprofiles?collection_id="+a.Collection, nil, asKey(key)), http.StatusNotFound)
	for path, body := range map[string]map[string]any{
		"/v1/messages": {"profile_id": a.Profile},
		"/v1/events":   {"type": "open", "message_id": msg},
		"/v1/webhooks": {"url": "http://127.0.0.1:1/b", "events": []string{"open"}, "database_id": a.DB},
		"/v1/profiles/" + betaProfile + "/subprofiles": {"collection_id": a.Collection},
	} {
		res := do(t, h, http.MethodPost, path, body, asKey(key))
		if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.str("detail"), "no such id") {
			t.Errorf("POST %s naming another account's id: %d %s, want 422 no such id", path, res.Code, res.Raw)
		}
	}
	batch := do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{{"type": "open", "message_id": msg}}}, asKey(key))
	if !strings.Contains(string(batch.Raw), `"invalid"`) || !strings.Contains(string(batch.Raw), "no such id") {
		t.Errorf("a batch naming another account's message: %d %s, want it invalid, no such id", batch.Code, batch.Raw)
	}
	wantProblem(t, do(t, h, http.MethodGet, "/metrics", nil, asKey(key)), http.StatusForbidden)

	// A client's own event ids are per account: Beta's "client-1" is a new event.
	betaMsg := mustCreateAs(t, h, key, "/v1/messages", map[string]any{"profile_id": betaProfile})
	res := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": betaMsg, "id": "client-1"}, asKey(key))
	want(t, res, http.StatusAccepted)
	if res.Body["duplicate"] != false || res.str("id") == event {
		t.Errorf("Beta's client-1 answered %s: another account's event", res.Raw)
	}
}
