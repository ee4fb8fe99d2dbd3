package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestAudience(t *testing.T) {
	t.Parallel()
	h := newServer(t)

	t.Run("databases", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Newsletter", "description": "weekly"})
		want(t, r, http.StatusCreated)
		id := r.str("id")
		if !strings.HasPrefix(id, "db_") || r.str("name") != "Newsletter" || r.str("description") != "weekly" || r.str("created_at") == "" {
			t.Fatalf("created %s", r.Raw)
		}
		r = do(t, h, http.MethodGet, "/v1/databases/"+id, nil)
		want(t, r, http.StatusOK)
		if r.str("id") != id || r.str("name") != "Newsletter" {
			t.Errorf("GET answered %s", r.Raw)
		}
		r = do(t, h, http.MethodPatch, "/v1/databases/"+id, map[string]any{"name": "Weekly"})
		want(t, r, http.StatusOK)
		if r.str("name") != "Weekly" || r.str("description") != "weekly" {
			t.Errorf("PATCH name answered %s", r.Raw)
		}
		r = do(t, h, http.MethodPatch, "/v1/databases/"+id, map[string]any{"description": ""})
		want(t, r, http.StatusOK)
		if r.str("name") != "Weekly" || r.str("description") != "" {
			t.Errorf("PATCH description answered %s", r.Raw)
		}
		if got := do(t, h, http.MethodGet, "/v1/databases/"+id, nil); got.str("name") != "Weekly" {
			t.Errorf("PATCH was not stored: %s", got.Raw)
		}
		want(t, do(t, h, http.MethodDelete, "/v1/databases/"+id, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/databases/"+id, nil), http.StatusNotFound)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/databases/"+id, nil), http.StatusNotFound)
	})

	t.Run("database validation", func(t *testing.T) {
		id := createDatabase(t, h, "valid")
		for _, c := range []struct {
			method, path string
			body         map[string]any
			field        string
		}{
			{http.MethodPost, "/v1/databases", map[string]any{}, "name"},
			{http.MethodPost, "/v1/databases", map[string]any{"name": nil}, "name"},
			{http.MethodPost, "/v1/databases", map[string]any{"name": "  "}, "name"},
			{http.MethodPost, "/v1/databases", map[string]any{"name": strings.Repeat("é", 256)}, "name"},
			{http.MethodPost, "/v1/databases", map[string]any{"name": "n", "description": strings.Repeat("d", 1025)}, "description"},
			{http.MethodPatch, "/v1/databases/" + id, map[string]any{"name": ""}, "name"},
			{http.MethodPatch, "/v1/databases/" + id, map[string]any{"description": strings.Repeat("d", 1025)}, "description"},
		} {
			wantProblem(t, do(t, h, c.method, c.path, c.body), http.StatusUnprocessableEntity, c.field)
		}
		want(t, do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": strings.Repeat("é", 255)}), http.StatusCreated)
	})

	t.Run("database list pages", func(t *testing.T) {
		var created []string
		for i := range 5 {
			created = append(created, createDatabase(t, h, fmt.Sprint("page ", i)))
		}
		var seen []string
		path := "/v1/databases?limit=2"
		for pages := 0; ; pages++ {
			if pages > 50 {
				t.Fatal("next_cursor never ends")
			}
			r := do(t, h, http.MethodGet, path, nil)
			want(t, r, http.StatusOK)
			if n := len(r.items()); n > 2 {
				t.Fatalf("page of %d items with limit=2", n)
			}
			seen = append(seen, r.ids()...)
			cursor, ok := r.Body["next_cursor"].(string)
			if !ok {
				t.Fatalf("list has no next_cursor string: %s", r.Raw)
			}
			if cursor == "" {
				break
			}
			path = "/v1/databases?limit=2&cursor=" + cursor
		}
		for _, id := range created {
			if !slices.Contains(seen, id) {
				t.Errorf("walking the pages missed %s", id)
			}
		}
		if !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
			t.Errorf("pages are not in id order without repeats: %v", seen)
		}
		all := do(t, h, http.MethodGet, "/v1/databases", nil)
		want(t, all, http.StatusOK)
		if !slices.Equal(all.ids(), seen) || all.str("next_cursor") != "" {
			t.Errorf("default page %v (cursor %q), want %v in one page", all.ids(), all.str("next_cursor"), seen)
		}
		for _, limit := range []string{"0", "-1", "201", "abc", "1.5", "2x"} {
			wantProblem(t, do(t, h, http.MethodGet, "/v1/databases?limit="+limit, nil), http.StatusBadRequest, "limit")
		}
		want(t, do(t, h, http.MethodGet, "/v1/databases?limit=200", nil), http.StatusOK)
		r := do(t, h, http.MethodGet, "/v1/databases?cursor=zzzz", nil)
		want(t, r, http.StatusOK)
		if len(r.items()) != 0 {
			t.Errorf("cursor past the end answered %v", r.ids())
		}
	})

	t.Run("collections", func(t *testing.T) {
		db := createDatabase(t, h, "with collections")
		other := createDatabase(t, h, "other")
		r := do(t, h, http.MethodPost, "/v1/databases/"+db+"/collections", map[string]any{"name": "Orders"})
		want(t, r, http.StatusCreated)
		col := r.str("id")
		if !strings.HasPrefix(col, "col_") || r.str("database_id") != db || r.str("name") != "Orders" {
			t.Fatalf("created %s", r.Raw)
		}
		second := createCollection(t, h, db, "Returns")
		createCollection(t, h, other, "Elsewhere")

		r = do(t, h, http.MethodGet, "/v1/databases/"+db+"/collections", nil)
		want(t, r, http.StatusOK)
		if !slices.Equal(r.ids(), []string{col, second}) {
			t.Errorf("list %v, want [%s %s]", r.ids(), col, second)
		}
		r = do(t, h, http.MethodGet, "/v1/databases/"+db+"/collections?limit=1", nil)
		if !slices.Equal(r.ids(), []string{col}) || r.str("next_cursor") != col {
			t.Errorf("first page %v cursor %q", r.ids(), r.str("next_cursor"))
		}
		r = do(t, h, http.MethodPatch, "/v1/collections/"+col, map[string]any{"name": "Purchases"})
		want(t, r, http.StatusOK)
		if r.str("name") != "Purchases" || r.str("database_id") != db {
			t.Errorf("PATCH answered %s", r.Raw)
		}
		if got := do(t, h, http.MethodGet, "/v1/collections/"+col, nil); got.str("name") != "Purchases" {
			t.Errorf("GET after PATCH: %s", got.Raw)
		}

		wantProblem(t, do(t, h, http.MethodPost, "/v1/databases/"+db+"/collections", map[string]any{}), http.StatusUnprocessableEntity, "name")
		wantProblem(t, do(t, h, http.MethodPost, "/v1/databases/"+db+"/collections", map[string]any{"name": ""}), http.StatusUnprocessableEntity, "name")
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/collections/"+col, map[string]any{"name": strings.Repeat("c", 256)}), http.StatusUnprocessableEntity, "name")
		wantProblem(t, do(t, h, http.MethodGet, "/v1/databases/"+db+"/collections?limit=0", nil), http.StatusBadRequest, "limit")

		want(t, do(t, h, http.MethodDelete, "/v1/collections/"+second, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/collections/"+second, nil), http.StatusNotFound)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/collections/"+second, nil), http.StatusNotFound)
	})

	t.Run("profiles", func(t *testing.T) {
		db := createDatabase(t, h, "with profiles")
		r := do(t, h, http.MethodPost, "/v1/databases/"+db+"/profiles", map[string]any{
			"email":     "ann@example.com",
			"fields":    map[string]any{"name": "Ann", "city": "Utrecht", "age": 41},
			"interests": []string{"cycling"},
		})
		want(t, r, http.StatusCreated)
		ann := r.str("id")
		if !strings.HasPrefix(ann, "prf_") || r.str("database_id") != db || r.str("email") != "ann@example.com" {
			t.Fatalf("created %s", r.Raw)
		}
		bob := createProfile(t, h, db, "bob@example.com")
		r = do(t, h, http.MethodGet, "/v1/profiles/"+bob, nil)
		if fields, ok := r.Body["fields"].(map[string]any); !ok || len(fields) != 0 {
			t.Errorf("profile without fields has fields %v, want {}", r.Body["fields"])
		}
		if interests, ok := r.Body["interests"].([]any); !ok || len(interests) != 0 {
			t.Errorf("profile without interests has interests %v, want []", r.Body["interests"])
		}

		r = do(t, h, http.MethodGet, "/v1/databases/"+db+"/profiles", nil)
		if !slices.Equal(r.ids(), []string{ann, bob}) {
			t.Errorf("list %v", r.ids())
		}
		r = do(t, h, http.MethodGet, "/v1/databases/"+db+"/profiles?email=bob@example.com", nil)
		want(t, r, http.StatusOK)
		if !slices.Equal(r.ids(), []string{bob}) {
			t.Errorf("?email= answered %v, want [%s]", r.ids(), bob)
		}
		r = do(t, h, http.MethodGet, "/v1/databases/"+db+"/profiles?email=nobody@example.com", nil)
		if len(r.items()) != 0 {
			t.Errorf("?email= for nobody answered %v", r.ids())
		}

		r = do(t, h, http.MethodPatch, "/v1/profiles/"+ann, `{"fields":{"city":null,"age":42,"vip":true},"interests":["running","books"]}`)
		want(t, r, http.StatusOK)
		wantFields := map[string]any{"name": "Ann", "age": 42.0, "vip": true}
		for _, got := range []response{r, do(t, h, http.MethodGet, "/v1/profiles/"+ann, nil)} {
			fields, _ := got.Body["fields"].(map[string]any)
			if fmt.Sprint(fields) != fmt.Sprint(wantFields) {
				t.Errorf("fields after merge %v, want %v", fields, wantFields)
			}
			if fmt.Sprint(got.Body["interests"]) != "[running books]" || got.str("email") != "ann@example.com" {
				t.Errorf("after PATCH: %s", got.Raw)
			}
		}
		r = do(t, h, http.MethodPatch, "/v1/profiles/"+ann, map[string]any{"email": "ann@example.org"})
		want(t, r, http.StatusOK)
		if fields, _ := r.Body["fields"].(map[string]any); r.str("email") != "ann@example.org" || len(fields) != 3 {
			t.Errorf("PATCH email answered %s", r.Raw)
		}

		for _, c := range []struct {
			method, path string
			body         any
			field        string
		}{
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{}, "email"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "not an address"}, "email"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "Ann <ann@example.com>"}, "email"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": strings.Repeat("a", 320) + "@example.com"}, "email"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "a@example.com", "fields": map[string]any{"": 1}}, "fields"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "a@example.com", "interests": []string{"ok", " "}}, "interests[1]"},
			{http.MethodPatch, "/v1/profiles/" + ann, map[string]any{"email": ""}, "email"},
			{http.MethodPatch, "/v1/profiles/" + ann, map[string]any{"fields": map[string]any{strings.Repeat("k", 256): 1}}, "fields"},
			{http.MethodPatch, "/v1/profiles/" + ann, map[string]any{"interests": []string{strings.Repeat("i", 256)}}, "interests[0]"},
			{http.MethodPatch, "/v1/profiles/" + ann, map[string]any{"interests": make([]string, 101)}, "interests"},
			// Within the per-item limits but over what the column stores once
			// JSON-escaped ('<' is written as \u003c).
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "a@example.com", "interests": repeated(100, strings.Repeat("<", 255))}, "interests"},
			{http.MethodPost, "/v1/databases/" + db + "/profiles", map[string]any{"email": "a@example.com", "fields": map[string]any{"big": strings.Repeat("x", 70000)}}, "fields"},
		} {
			wantProblem(t, do(t, h, c.method, c.path, c.body), http.StatusUnprocessableEntity, c.field)
		}
		wantMergedFieldsBounded(t, h, "/v1/profiles/"+ann)

		want(t, do(t, h, http.MethodDelete, "/v1/profiles/"+bob, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/profiles/"+bob, nil), http.StatusNotFound)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/profiles/"+bob, nil), http.StatusNotFound)
	})

	t.Run("subprofiles", func(t *testing.T) {
		a := createAudience(t, h)
		otherCol := createCollection(t, h, a.DB, "Returns")
		foreignCol := createCollection(t, h, createDatabase(t, h, "foreign"), "Foreign")

		r := do(t, h, http.MethodPost, "/v1/profiles/"+a.Profile+"/subprofiles", map[string]any{
			"collection_id": otherCol, "fields": map[string]any{"order": "A-1", "total": 9.5},
		})
		want(t, r, http.StatusCreated)
		sub := r.str("id")
		if !strings.HasPrefix(sub, "sub_") || r.str("profile_id") != a.Profile || r.str("collection_id") != otherCol {
			t.Fatalf("created %s", r.Raw)
		}
		r = do(t, h, http.MethodGet, "/v1/profiles/"+a.Profile+"/subprofiles", nil)
		if !slices.Equal(r.ids(), []string{a.Subprofile, sub}) {
			t.Errorf("list %v", r.ids())
		}
		r = do(t, h, http.MethodGet, "/v1/profiles/"+a.Profile+"/subprofiles?collection_id="+otherCol, nil)
		if !slices.Equal(r.ids(), []string{sub}) {
			t.Errorf("?collection_id= answered %v", r.ids())
		}
		r = do(t, h, http.MethodPatch, "/v1/subprofiles/"+sub, `{"fields":{"order":null,"status":"shipped"}}`)
		want(t, r, http.StatusOK)
		if fields, _ := r.Body["fields"].(map[string]any); fmt.Sprint(fields) != "map[status:shipped total:9.5]" {
			t.Errorf("fields after merge %v", fields)
		}
		if got := do(t, h, http.MethodGet, "/v1/subprofiles/"+sub, nil); got.str("collection_id") != otherCol || fmt.Sprint(got.Body["fields"]) != "map[status:shipped total:9.5]" {
			t.Errorf("GET after PATCH: %s", got.Raw)
		}

		path := "/v1/profiles/" + a.Profile + "/subprofiles"
		wantProblem(t, do(t, h, http.MethodPost, path, map[string]any{"collection_id": foreignCol}), http.StatusUnprocessableEntity, "collection_id")
		wantProblem(t, do(t, h, http.MethodPost, path, map[string]any{"collection_id": "col_unknown"}), http.StatusUnprocessableEntity, "collection_id")
		wantProblem(t, do(t, h, http.MethodPost, path, map[string]any{}), http.StatusUnprocessableEntity, "collection_id")
		wantProblem(t, do(t, h, http.MethodPost, path, map[string]any{"collection_id": otherCol, "fields": map[string]any{" ": 1}}), http.StatusUnprocessableEntity, "fields")
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/subprofiles/"+sub, map[string]any{"fields": map[string]any{"": 1}}), http.StatusUnprocessableEntity, "fields")
		wantProblem(t, do(t, h, http.MethodPatch, "/v1/subprofiles/"+sub, map[string]any{"collection_id": foreignCol}), http.StatusBadRequest, "collection_id")
		wantProblem(t, do(t, h, http.MethodPost, path, map[string]any{"collection_id": otherCol, "fields": map[string]any{"big": strings.Repeat("x", 70000)}}), http.StatusUnprocessableEntity, "fields")
		wantMergedFieldsBounded(t, h, "/v1/subprofiles/"+sub)

		want(t, do(t, h, http.MethodDelete, "/v1/subprofiles/"+sub, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/subprofiles/"+sub, nil), http.StatusNotFound)
		wantProblem(t, do(t, h, http.MethodDelete, "/v1/subprofiles/"+sub, nil), http.StatusNotFound)
	})

	t.Run("deleting takes the audience data along", func(t *testing.T) {
		a := createAudience(t, h)
		want(t, do(t, h, http.MethodDelete, "/v1/collections/"+a.Collection, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/subprofiles/"+a.Subprofile, nil), http.StatusNotFound)

		b := createAudience(t, h)
		want(t, do(t, h, http.MethodDelete, "/v1/profiles/"+b.Profile, nil), http.StatusNoContent)
		wantProblem(t, do(t, h, http.MethodGet, "/v1/subprofiles/"+b.Subprofile, nil), http.StatusNotFound)

		c := createAudience(t, h)
		want(t, do(t, h, http.MethodDelete, "/v1/databases/"+c.DB, nil), http.StatusNoContent)
		for _, path := range []string{"/v1/collections/" + c.Collection, "/v1/profiles/" + c.Profile, "/v1/subprofiles/" + c.Subprofile} {
			wantProblem(t, do(t, h, http.MethodGet, path, nil), http.StatusNotFound)
		}
		wantProblem(t, do(t, h, http.MethodGet, "/v1/databases/"+c.DB+"/profiles", nil), http.StatusNotFound)
	})
}

// wantMergedFieldsBounded PATCHes fields that fit one by one but not merged:
// the second patch must be refused, not fail in the database.
func wantMergedFieldsBounded(t *testing.T, h http.Handler, path string) {
	t.Helper()
	half := strings.Repeat("x", 40000)
	want(t, do(t, h, http.MethodPatch, path, map[string]any{"fields": map[string]any{"half1": half}}), http.StatusOK)
	wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"fields": map[string]any{"half2": half}}), http.StatusUnprocessableEntity, "fields")
	r := do(t, h, http.MethodPatch, path, `{"fields":{"half1":null,"half2":"small"}}`)
	want(t, r, http.StatusOK)
	if fields, _ := r.Body["fields"].(map[string]any); fields["half1"] != nil || fields["half2"] != "small" {
		t.Errorf("fields after the refused merge: %v", fields)
	}
	want(t, do(t, h, http.MethodPatch, path, `{"fields":{"half2":null}}`), http.StatusOK)
}

func repeated(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
