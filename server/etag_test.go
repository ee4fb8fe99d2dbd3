package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// strongETag is an opaque, quoted, strong entity tag (RFC 9110 8.8.3).
var strongETag = regexp.MustCompile(`^"[\x21\x23-\x7e]+"$`)

func etagOf(t *testing.T, r response) string {
	t.Helper()
	tag := r.Header.Get("ETag")
	if !strongETag.MatchString(tag) {
		t.Fatalf("ETag %q is not a strong entity tag; status %d, body %s", tag, r.Code, r.Raw)
	}
	return tag
}

func ifMatchHeader(tag string) requestOption { return withHeader("If-Match", tag) }

// TestETagsAndIfMatch runs the same conditional requests against every
// resource the API lets its owner change.
func TestETagsAndIfMatch(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	a := createAudience(t, h)
	n := 0
	unique := func() string { n++; return fmt.Sprint(n) }
	for _, res := range []struct {
		name   string
		create func() response // answers 201 with the new resource
		path   func(id string) string
		patch  func() map[string]any // a change, different every time
	}{
		{"database",
			func() response { return do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "db"}) },
			func(id string) string { return "/v1/databases/" + id },
			func() map[string]any { return map[string]any{"description": "d" + unique()} }},
		{"collection",
			func() response {
				return do(t, h, http.MethodPost, "/v1/databases/"+a.DB+"/collections", map[string]any{"name": "col"})
			},
			func(id string) string { return "/v1/collections/" + id },
			func() map[string]any { return map[string]any{"name": "c" + unique()} }},
		{"profile",
			func() response {
				return do(t, h, http.MethodPost, "/v1/databases/"+a.DB+"/profiles", map[string]any{"email": "p" + unique() + "@example.com"})
			},
			func(id string) string { return "/v1/profiles/" + id },
			func() map[string]any { return map[string]any{"fields": map[string]any{"k": unique()}} }},
		{"subprofile",
			func() response {
				return do(t, h, http.MethodPost, "/v1/profiles/"+a.Profile+"/subprofiles", map[string]any{"collection_id": a.Collection})
			},
			func(id string) string { return "/v1/subprofiles/" + id },
			func() map[string]any { return map[string]any{"fields": map[string]any{"k": unique()}} }},
		{"webhook",
			func() response {
				return do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}})
			},
			func(id string) string { return "/v1/webhooks/" + id },
			func() map[string]any { return map[string]any{"description": "w" + unique()} }},
		{"account",
			func() response { return do(t, h, http.MethodPost, "/v1/accounts", map[string]any{"name": "acme"}) },
			func(id string) string { return "/v1/accounts/" + id },
			func() map[string]any { return map[string]any{"name": "a" + unique()} }},
	} {
		t.Run(res.name, func(t *testing.T) {
			created := res.create()
			want(t, created, http.StatusCreated)
			path := res.path(created.str("id"))
			first := etagOf(t, created)
			got := do(t, h, http.MethodGet, path, nil)
			want(t, got, http.StatusOK)
			if tag := etagOf(t, got); tag != first {
				t.Errorf("GET answers ETag %s, the create answered %s", tag, first)
			}

			r := do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader(first))
			want(t, r, http.StatusOK)
			second := etagOf(t, r)
			if second == first {
				t.Errorf("the ETag stayed %s through a change", first)
			}
			if tag := etagOf(t, do(t, h, http.MethodGet, path, nil)); tag != second {
				t.Errorf("GET answers ETag %s, the PATCH answered %s", tag, second)
			}

			current := do(t, h, http.MethodGet, path, nil)
			wantProblem(t, do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader(first)), http.StatusPreconditionFailed)
			wantProblem(t, do(t, h, http.MethodDelete, path, nil, ifMatchHeader(first)), http.StatusPreconditionFailed)
			// Strong comparison: the weak form of the current tag never matches.
			wantProblem(t, do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader("W/"+second)), http.StatusPreconditionFailed)
			wantProblem(t, do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader(`"not-ours"`)), http.StatusPreconditionFailed)
			if after := do(t, h, http.MethodGet, path, nil); !bytes.Equal(after.Raw, current.Raw) || etagOf(t, after) != second {
				t.Errorf("refused requests changed the %s:\nbefore %s\nafter  %s", res.name, current.Raw, after.Raw)
			}

			for _, bad := range []string{"v1", `"unterminated`, `*, ` + second, `"a" "b"`, ","} {
				wantProblem(t, do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader(bad)), http.StatusBadRequest)
			}

			r = do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader(first+`, `+second))
			want(t, r, http.StatusOK)
			third := etagOf(t, r)
			r = do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader("*"))
			want(t, r, http.StatusOK)
			fourth := etagOf(t, r)
			if third == second || fourth == third {
				t.Errorf("ETags %s, %s, %s: each change must make a new one", second, third, fourth)
			}

			want(t, do(t, h, http.MethodDelete, path, nil, ifMatchHeader(fourth)), http.StatusNoContent)
			wantProblem(t, do(t, h, http.MethodGet, path, nil), http.StatusNotFound)
			// A precondition on what is gone: 404, as without it.
			wantProblem(t, do(t, h, http.MethodPatch, path, res.patch(), ifMatchHeader("*")), http.StatusNotFound)
			wantProblem(t, do(t, h, http.MethodDelete, path, nil, ifMatchHeader(fourth)), http.StatusNotFound)
		})
	}
}

// TestMessageETagComesFromItsContent: a message never changes, so its ETag
// is its content's: the same from the create and every GET.
func TestMessageETagComesFromItsContent(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	a := createAudience(t, h)
	created := do(t, h, http.MethodPost, "/v1/messages", map[string]any{
		"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/a"}, {"url": "https://example.com/b"}},
	})
	want(t, created, http.StatusCreated)
	tag := etagOf(t, created)
	for range 2 {
		got := do(t, h, http.MethodGet, "/v1/messages/"+created.str("id"), nil)
		want(t, got, http.StatusOK)
		if etagOf(t, got) != tag || !bytes.Equal(got.Raw, created.Raw) {
			t.Errorf("GET answers %s %s; the create answered %s %s", got.Header.Get("ETag"), got.Raw, tag, created.Raw)
		}
	}
	other := do(t, h, http.MethodPost, "/v1/messages", map[string]any{"profile_id": a.Profile})
	want(t, other, http.StatusCreated)
	if etagOf(t, other) == tag {
		t.Errorf("two messages share the ETag %s", tag)
	}
}

// TestWebhookETagFollowsItsLifeCycle: a move made by hookflow (a passed
// verification) makes the owner's ETag stale too.
func TestWebhookETagFollowsItsLifeCycle(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	created := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}})
	want(t, created, http.StatusCreated)
	id := created.str("id")
	markVerified(t, store, id)
	path := "/v1/webhooks/" + id
	wantProblem(t, do(t, h, http.MethodPatch, path, map[string]any{"status": "paused"}, ifMatchHeader(etagOf(t, created))), http.StatusPreconditionFailed)
	got := do(t, h, http.MethodGet, path, nil)
	if got.str("status") != "active" {
		t.Fatalf("a refused pause changed the webhook: %s", got.Raw)
	}
	r := do(t, h, http.MethodPatch, path, map[string]any{"status": "paused"}, ifMatchHeader(etagOf(t, got)))
	want(t, r, http.StatusOK)
	if r.str("status") != "paused" {
		t.Errorf("pause with the current ETag answered %s", r.Raw)
	}
}
