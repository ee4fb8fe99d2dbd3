package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	a := createAudience(t, h)

	t.Run("create and get with tracking URLs", func(t *testing.T) {
		links := []map[string]any{
			{"url": "https://example.com/a", "tags": []string{"cta"}},
			{"url": "https://example.com/b?x=1"},
			{"url": "http://example.com/c#top"},
		}
		r := do(t, h, http.MethodPost, "/v1/messages", map[string]any{
			"profile_id": a.Profile, "subprofile_id": a.Subprofile, "tags": []string{"spring"}, "links": links,
		})
		want(t, r, http.StatusCreated)
		id := r.str("id")
		if !strings.HasPrefix(id, "msg_") || r.str("profile_id") != a.Profile || r.str("subprofile_id") != a.Subprofile ||
			r.str("database_id") != a.DB || r.str("recipient") != "ann@example.com" {
			t.Fatalf("created %s", r.Raw)
		}
		checkTracking := func(r response) (string, []string) {
			t.Helper()
			open := r.str("open_url")
			if !strings.HasPrefix(open, testPublicURL+"/t/o/") || len(open) <= len(testPublicURL+"/t/o/") {
				t.Errorf("open_url %q is not under %s/t/o/", open, testPublicURL)
			}
			raw, _ := r.Body["click_urls"].([]any)
			var clicks []string
			for _, c := range raw {
				s, _ := c.(string)
				if !strings.HasPrefix(s, testPublicURL+"/t/c/") || len(s) <= len(testPublicURL+"/t/c/") {
					t.Errorf("click URL %q is not under %s/t/c/", s, testPublicURL)
				}
				clicks = append(clicks, s)
			}
			if len(clicks) != len(links) {
				t.Fatalf("%d click_urls for %d links: %s", len(clicks), len(links), r.Raw)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(clicks)))) != len(clicks) {
				t.Errorf("click URLs repeat: %v", clicks)
			}
			gotLinks, _ := r.Body["links"].([]any)
			for i, l := range gotLinks {
				m, _ := l.(map[string]any)
				if m["url"] != links[i]["url"] || m["position"] != float64(i) {
					t.Errorf("link %d is %v, want %v at position %d", i, m, links[i]["url"], i)
				}
			}
			if len(gotLinks) != len(links) {
				t.Errorf("%d links, want %d", len(gotLinks), len(links))
			}
			return open, clicks
		}
		open, clicks := checkTracking(r)

		got := do(t, h, http.MethodGet, "/v1/messages/"+id, nil)
		want(t, got, http.StatusOK)
		gotOpen, gotClicks := checkTracking(got)
		if gotOpen != open || !slices.Equal(gotClicks, clicks) {
			t.Errorf("GET tracking URLs %q %q differ from create's %q %q", gotOpen, gotClicks, open, clicks)
		}
		if fmt.Sprint(got.Body["tags"]) != "[spring]" || got.str("recipient") != "ann@example.com" {
			t.Errorf("GET answered %s", got.Raw)
		}
	})

	t.Run("without links or tags", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/messages", map[string]any{"profile_id": a.Profile})
		want(t, r, http.StatusCreated)
		if clicks, ok := r.Body["click_urls"].([]any); !ok || len(clicks) != 0 || r.str("open_url") == "" {
			t.Errorf("message without links: %s", r.Raw)
		}
		if tags, ok := r.Body["tags"].([]any); !ok || len(tags) != 0 || r.Body["subprofile_id"] != nil {
			t.Errorf("message without tags: %s", r.Raw)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		other := createAudience(t, h)
		link := func(url string) map[string]any {
			return map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/ok"}, {"url": url}}}
		}
		for _, c := range []struct {
			name  string
			body  any
			field string
		}{
			{"no profile", map[string]any{}, "profile_id"},
			{"unknown profile", map[string]any{"profile_id": "prf_unknown"}, "profile_id"},
			{"unknown subprofile", map[string]any{"profile_id": a.Profile, "subprofile_id": "sub_unknown"}, "subprofile_id"},
			{"subprofile of another profile", map[string]any{"profile_id": a.Profile, "subprofile_id": other.Subprofile}, "subprofile_id"},
			{"blank tag", map[string]any{"profile_id": a.Profile, "tags": []string{""}}, "tags[0]"},
			{"link without url", map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"tags": []string{"x"}}}}, "links[0].url"},
			{"blank link tag", map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/", "tags": []string{" "}}}}, "links[0].tags[0]"},
			{"relative link", link("/path"), "links[1].url"},
			{"schemeless link", link("example.com/x"), "links[1].url"},
			{"ftp link", link("ftp://example.com/x"), "links[1].url"},
			{"javascript link", link("javascript:alert(1)"), "links[1].url"},
			{"opaque link", link("http:example.com"), "links[1].url"},
			{"link with credentials", link("https://user:pw@example.com/"), "links[1].url"},
			{"link without host", link("https:///x"), "links[1].url"},
			{"link with bad port", link("https://example.com:99999/"), "links[1].url"},
			{"link over 2048 bytes", link("https://example.com/" + strings.Repeat("x", 2048)), "links[1].url"},
			{"tags too large to store", map[string]any{"profile_id": a.Profile, "tags": repeated(100, strings.Repeat("<", 255))}, "tags"},
			{"link tags too large to store", map[string]any{"profile_id": a.Profile, "links": []map[string]any{{"url": "https://example.com/", "tags": repeated(100, strings.Repeat("&", 255))}}}, "links[0].tags"},
			{"too many links", map[string]any{"profile_id": a.Profile, "links": make([]map[string]any, 1001)}, "links"},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantProblem(t, do(t, h, http.MethodPost, "/v1/messages", c.body), http.StatusUnprocessableEntity, c.field)
			})
		}
		wantProblem(t, do(t, h, http.MethodGet, "/v1/messages/msg_unknown", nil), http.StatusNotFound)
	})
}
