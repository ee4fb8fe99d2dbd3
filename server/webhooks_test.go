package server_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestWebhooks(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)

	t.Run("create shows the secret and verification file once", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{
			"url": publicHook + "#frag", "events": []string{"open", "click"}, "description": "CRM sync",
		})
		want(t, r, http.StatusCreated)
		id := r.str("id")
		if !strings.HasPrefix(id, "wh_") || r.str("url") != publicHook || r.str("format") != "json" ||
			r.str("description") != "CRM sync" || r.Body["database_id"] != nil || r.Body["collection_id"] != nil {
			t.Fatalf("created %s", r.Raw)
		}
		if r.str("status") != "unverified" {
			t.Errorf("new webhook status %q, want unverified", r.str("status"))
		}
		if !strings.HasPrefix(r.str("secret"), "whsec_") || len(r.str("secret")) < 30 {
			t.Errorf("secret %q is not a whsec_ secret", r.str("secret"))
		}
		verification, _ := r.Body["verification"].(map[string]any)
		filename, _ := verification["filename"].(string)
		content, _ := verification["content"].(string)
		if !regexp.MustCompile(`^hookflow-[a-z0-9]+\.txt$`).MatchString(filename) || content == "" {
			t.Errorf("verification %v, want filename hookflow-*.txt and content", verification)
		}

		got := do(t, h, http.MethodGet, "/v1/webhooks/"+id, nil)
		want(t, got, http.StatusOK)
		for _, hidden := range []string{"secret", "verification", "verification_file", "verification_content"} {
			if _, ok := got.Body[hidden]; ok {
				t.Errorf("GET shows %q: %s", hidden, got.Raw)
			}
		}
		if strings.Contains(string(got.Raw), strings.TrimPrefix(r.str("secret"), "whsec_")) || strings.Contains(string(got.Raw), content) {
			t.Errorf("GET leaks the secret or verification content: %s", got.Raw)
		}
		if got.str("id") != id || got.str("status") != "unverified" || got.str("url") != publicHook {
			t.Errorf("GET answered %s", got.Raw)
		}

		file := do(t, h, http.MethodGet, "/v1/webhooks/"+id+"/verification-file", nil)
		want(t, file, http.StatusOK)
		if cd := file.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, `filename="`+filename+`"`) {
			t.Errorf("Content-Disposition %q does not name %s", cd, filename)
		}
		if strings.TrimSpace(string(file.Raw)) != content || !strings.HasPrefix(file.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("verification file %q (%s), want %q", file.Raw, file.Header.Get("Content-Type"), content)
		}
	})

	t.Run("URL rules", func(t *testing.T) {
		for _, c := range []struct{ name, url string }{
			{"relative", "/hooks"},
			{"no scheme", "93.184.216.34/hooks"},
			{"ftp", "ftp://93.184.216.34/hooks"},
			{"opaque", "https:93.184.216.34"},
			{"empty", ""},
			{"no host", "https:///hooks"},
			{"credentials", "https://user:secret@93.184.216.34/hooks"},
			{"user only", "https://user@93.184.216.34/hooks"},
			{"over 2048 bytes", "https://93.184.216.34/" + strings.Repeat("x", 2048)},
			{"over 2048 bytes once escaped", "https://93.184.216.34/" + strings.Repeat(" ", 700)},
			{"over 2048 bytes once escaped, UTF-8", "https://93.184.216.34/" + strings.Repeat("é", 1000)},
			{"bad port", "https://93.184.216.34:0/"},
			{"numeric host trick", "http://2130706433/"},
			{"loopback", "http://127.0.0.1/x"},
			{"loopback IPv6", "http://[::1]/"},
			{"private", "http://10.0.0.1/"},
			{"private 192.168", "https://192.168.1.10:8443/hook"},
			{"link-local metadata", "http://169.254.169.254/"},
			{"unspecified", "http://0.0.0.0/"},
			{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/"},
			{"IPv6 unique local", "http://[fd00::1]/"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": c.url, "events": []string{"open"}})
				wantProblem(t, r, http.StatusUnprocessableEntity, "url")
			})
		}
		id := createWebhook(t, h, []string{"open"}, nil)
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"url": "http://10.0.0.1/"}), http.StatusUnprocessableEntity, "url")
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"url": "https://u:p@93.184.216.34/"}), http.StatusUnprocessableEntity, "url")
		for _, ok := range []string{"http://93.184.216.34:8080/x?y=1", "https://[2606:2800:220:1:248:1893:25c8:1946]/hook", "HTTPS://93.184.216.34/"} {
			want(t, do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": ok, "events": []string{"open"}}), http.StatusCreated)
		}
	})

	t.Run("bad fields", func(t *testing.T) {
		otherDB := createDatabase(t, h, "other")
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"no url", map[string]any{"events": []string{"open"}}, "url"},
			{"no events", map[string]any{"url": publicHook}, "events"},
			{"no events, null", map[string]any{"url": publicHook, "events": nil}, "events"},
			{"empty events", map[string]any{"url": publicHook, "events": []string{}}, "events"},
			{"unknown event", map[string]any{"url": publicHook, "events": []string{"opened"}}, "events[0]"},
			{"unknown second event", map[string]any{"url": publicHook, "events": []string{"open", "Click"}}, "events[1]"},
			{"duplicate event", map[string]any{"url": publicHook, "events": []string{"open", "click", "open"}}, "events[2]"},
			{"format", map[string]any{"url": publicHook, "events": []string{"open"}, "format": "xml"}, "format"},
			{"description", map[string]any{"url": publicHook, "events": []string{"open"}, "description": strings.Repeat("d", 1025)}, "description"},
			{"status on create", map[string]any{"url": publicHook, "events": []string{"open"}, "status": "active"}, "status"},
			{"unknown database", map[string]any{"url": publicHook, "events": []string{"open"}, "database_id": "db_unknown"}, "database_id"},
			{"unknown collection", map[string]any{"url": publicHook, "events": []string{"open"}, "collection_id": "col_unknown"}, "collection_id"},
			{"collection of another database", map[string]any{"url": publicHook, "events": []string{"open"}, "database_id": otherDB, "collection_id": a.Collection}, "collection_id"},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks", c.body), http.StatusUnprocessableEntity, c.field)
			})
		}
		r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"events": []string{"nope"}, "url": "ftp://x/"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "url", "events[0]")
	})

	t.Run("scope", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"profile.create"}, "collection_id": a.Collection, "format": "form"})
		want(t, r, http.StatusCreated)
		if r.str("database_id") != a.DB || r.str("collection_id") != a.Collection || r.str("format") != "form" {
			t.Errorf("collection scope did not imply its database: %s", r.Raw)
		}
		r = do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "database_id": a.DB, "collection_id": a.Collection})
		want(t, r, http.StatusCreated)
	})

	t.Run("update", func(t *testing.T) {
		id := createWebhook(t, h, []string{"open"}, map[string]any{"database_id": a.DB})
		path := "/v1/webhooks/" + id

		r := do(t, h, http.MethodPatch, path, map[string]any{"status": "active"})
		wantProblem(t, r, http.StatusUnprocessableEntity, "status")
		if got := do(t, h, http.MethodGet, path, nil); got.str("status") != "unverified" {
			t.Errorf("refused activation changed the status: %s", got.Raw)
		}
		for _, bad := range []string{"paused", "disabled", "unverified", "verification_failed", "on"} {
			wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"status": bad}), http.StatusUnprocessableEntity, "status")
		}

		markVerified(t, store, id)
		r = do(t, h, http.MethodPatch, path, map[string]any{"status": "paused"})
		want(t, r, http.StatusOK)
		if r.str("status") != "paused" || r.str("active_since") == "" {
			t.Errorf("PATCH paused answered %s", r.Raw)
		}
		r = do(t, h, http.MethodPatch, path, map[string]any{"status": "active"})
		want(t, r, http.StatusOK)
		if r.str("status") != "active" || r.str("active_since") == "" || r.str("verified_at") == "" {
			t.Errorf("PATCH active on a verified webhook answered %s", r.Raw)
		}

		r = do(t, h, http.MethodPatch, path, map[string]any{"events": []string{"click", "bounce"}, "description": "new", "format": "form"})
		want(t, r, http.StatusOK)
		if slicesOf(r.Body["events"]) != "click,bounce" || r.str("description") != "new" || r.str("format") != "form" || r.str("database_id") != a.DB {
			t.Errorf("PATCH answered %s", r.Raw)
		}
		if _, ok := r.Body["secret"]; ok {
			t.Errorf("PATCH shows the secret: %s", r.Raw)
		}

		r = do(t, h, http.MethodPatch, path, `{"database_id":null}`)
		want(t, r, http.StatusOK)
		if v, ok := r.Body["database_id"]; !ok || v != nil {
			t.Errorf("PATCH database_id null answered %s", r.Raw)
		}
		if got := do(t, h, http.MethodGet, path, nil); got.Body["database_id"] != nil || slicesOf(got.Body["events"]) != "click,bounce" {
			t.Errorf("GET after unscoping: %s", got.Raw)
		}

		r = do(t, h, http.MethodPatch, path, map[string]any{"collection_id": a.Collection})
		want(t, r, http.StatusOK)
		if r.str("collection_id") != a.Collection || r.str("database_id") != a.DB {
			t.Errorf("PATCH collection answered %s", r.Raw)
		}
		otherDB := createDatabase(t, h, "elsewhere")
		wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"database_id": otherDB}), http.StatusUnprocessableEntity, "collection_id")
		wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"database_id": "db_unknown", "collection_id": nil}), http.StatusUnprocessableEntity, "database_id")
		r = do(t, h, http.MethodPatch, path, map[string]any{"database_id": otherDB, "collection_id": nil})
		want(t, r, http.StatusOK)
		if r.str("database_id") != otherDB || r.Body["collection_id"] != nil {
			t.Errorf("rescoping answered %s", r.Raw)
		}

		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"events": []string{}}, "events"},
			{map[string]any{"events": []string{"open", "nope"}}, "events[1]"},
			{map[string]any{"events": []string{"open", "open"}}, "events[1]"},
			{map[string]any{"format": "yaml"}, "format"},
			{map[string]any{"url": "not a url"}, "url"},
		} {
			wantProblem(t, do(t, h, http.MethodPatch, path, c.body), http.StatusUnprocessableEntity, c.field)
		}

		r = do(t, h, http.MethodPatch, path, map[string]any{"url": "https://93.184.216.34/other"})
		want(t, r, http.StatusOK)
		if r.str("url") != "https://93.184.216.34/other" || r.str("status") != "unverified" || r.Body["verified_at"] != nil {
			t.Errorf("a new URL must be verified again: %s", r.Raw)
		}
	})
}

// TestWebhookLists has a store of its own: the lists are compared exactly.
func TestWebhookLists(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)
	otherDB := createDatabase(t, h, "other")
	unscoped := createWebhook(t, h, []string{"open", "click"}, nil)
	inDB := createWebhook(t, h, []string{"click"}, map[string]any{"database_id": a.DB})
	inCol := createWebhook(t, h, []string{"profile.update"}, map[string]any{"collection_id": a.Collection})
	inOther := createWebhook(t, h, []string{"bounce"}, map[string]any{"database_id": otherDB})
	markVerified(t, store, inOther)
	want(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+inOther, map[string]any{"status": "paused"}), http.StatusOK)

	for query, ids := range map[string][]string{
		"":                                 {unscoped, inDB, inCol, inOther},
		"?event=click":                     {unscoped, inDB},
		"?event=profile.update":            {inCol},
		"?event=complaint":                 {},
		"?database_id=" + a.DB:             {inDB, inCol},
		"?collection_id=" + a.Collection:   {inCol},
		"?status=paused":                   {inOther},
		"?status=unverified":               {unscoped, inDB, inCol},
		"?event=click&database_id=" + a.DB: {inDB},
		"?limit=1&cursor=" + inCol:         {inOther},
		"?status=unverified&event=bounce":  {},
		"?status=active":                   {},
	} {
		r := do(t, h, http.MethodGet, "/v1/webhooks"+query, nil)
		want(t, r, http.StatusOK)
		if !slices.Equal(r.ids(), ids) {
			t.Errorf("GET /v1/webhooks%s = %v, want %v", query, r.ids(), ids)
		}
		for _, it := range r.items() {
			if _, ok := it["secret"]; ok {
				t.Errorf("list shows a secret: %v", it)
			}
		}
	}
	// A filter on an id the account does not have is an unknown id, not an empty list.
	wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks?database_id=db_unknown", nil), http.StatusNotFound)
	for path, ids := range map[string][]string{
		"/v1/databases/" + a.DB + "/webhooks":           {inDB, inCol},
		"/v1/databases/" + otherDB + "/webhooks":        {inOther},
		"/v1/collections/" + a.Collection + "/webhooks": {inCol},
	} {
		r := do(t, h, http.MethodGet, path, nil)
		want(t, r, http.StatusOK)
		if !slices.Equal(r.ids(), ids) {
			t.Errorf("GET %s = %v, want %v", path, r.ids(), ids)
		}
	}
	wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks?event=opened", nil), http.StatusBadRequest, "event")
	wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks?event=%25", nil), http.StatusBadRequest, "event")
	wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks?status=on", nil), http.StatusBadRequest, "status")
	wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks?limit=0", nil), http.StatusBadRequest, "limit")
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases/"+a.DB+"/webhooks?limit=x", nil), http.StatusBadRequest, "limit")
	wantProblem(t, do(t, h, http.MethodGet, "/v1/databases/db_unknown/webhooks", nil), http.StatusNotFound)
	wantProblem(t, do(t, h, http.MethodGet, "/v1/collections/col_unknown/webhooks", nil), http.StatusNotFound)

	t.Run("linked webhooks block deleting their scope", func(t *testing.T) {
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/databases/"+otherDB, nil), http.StatusConflict)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/collections/"+a.Collection, nil), http.StatusConflict)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/databases/"+a.DB, nil), http.StatusConflict)
		want(t, do(t, h, http.MethodGet, "/v1/databases/"+otherDB, nil), http.StatusOK)

		want(t, do(t, h, http.MethodDelete, "/v1/webhooks/"+inOther, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/webhooks/"+inOther, nil), http.StatusNotFound)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/webhooks/"+inOther, nil), http.StatusNotFound)
		want(t, do(t, h, http.MethodDelete, "/v1/databases/"+otherDB, nil), http.StatusNoContent)

		want(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+inCol, `{"collection_id":null}`), http.StatusOK)
		want(t, do(t, h, http.MethodDelete, "/v1/collections/"+a.Collection, nil), http.StatusNoContent)
	})
}

// TestWebhookPrivateNetworksWhenAllowed: a dev setup may call its own host.
func TestWebhookPrivateNetworksWhenAllowed(t *testing.T) {
	t.Parallel()
	h := newServer(t, allowPrivate)
	for _, url := range []string{"http://127.0.0.1:9/x", "http://10.0.0.1/", "http://[::1]:8080/", "http://receiver:8080/hook"} {
		r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": url, "events": []string{"open"}})
		want(t, r, http.StatusCreated)
		if r.str("url") != url {
			t.Errorf("stored URL %q, want %q", r.str("url"), url)
		}
	}
	// The syntax rules still hold.
	for _, url := range []string{"http://user:pw@127.0.0.1/", "file:///etc/passwd", "http://127.1/"} {
		wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": url, "events": []string{"open"}}), http.StatusUnprocessableEntity, "url")
	}
}

// markVerified passes the webhook's verification as the verification
// workflow does: the tests have no Temporal and no receiver to fetch the
// file from.
func markVerified(t *testing.T, store *models.Store, id string) {
	t.Helper()
	w, err := models.Get[models.Webhook](t.Context(), store, id)
	if err != nil {
		t.Fatal(err)
	}
	if moved, err := store.TransitionWebhook(t.Context(), id, models.VerifyWebhook(w.URL, models.Now())); err != nil || !moved {
		t.Fatalf("verify webhook %s: moved %v, err %v", id, moved, err)
	}
}

// slicesOf joins a JSON array of strings with commas.
func slicesOf(v any) string {
	raw, _ := v.([]any)
	parts := make([]string, 0, len(raw))
	for _, s := range raw {
		str, _ := s.(string)
		parts = append(parts, str)
	}
	return strings.Join(parts, ",")
}
