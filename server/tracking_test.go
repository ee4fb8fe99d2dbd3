package server_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/tracking"
)

const trackingKey = "tracking-test-key"

// trackingPath turns a tracking URL of the API into the path to request.
func trackingPath(t testing.TB, url string) string {
	t.Helper()
	path, ok := strings.CutPrefix(url, testPublicURL)
	if !ok {
		t.Fatalf("tracking URL %q is not under %s", url, testPublicURL)
	}
	return path
}

func clickURLs(r response) []string {
	raw, _ := r.Body["click_urls"].([]any)
	var out []string
	for _, v := range raw {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

func TestTracking(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf), withTrackingKey(trackingKey))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	a := createAudience(t, h)
	links := []string{"https://example.com/a", "https://example.com/b?x=1&y=%2F#top"}
	msg := createMessage(t, h, a.Profile, a.Subprofile, links...)
	msgID := msg.str("id")
	stored, err := store.GetMessage(t.Context(), msgID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("open answers the pixel and records the hit", func(t *testing.T) {
		r := do(t, h, http.MethodGet, trackingPath(t, msg.str("open_url")), nil, withToken(""),
			withHeader("User-Agent", "Mail/1.0"), withHeader("Referer", "https://webmail.example/inbox"))
		want(t, r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != "image/gif" {
			t.Errorf("Content-Type %q, want image/gif", ct)
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if !bytes.HasPrefix(r.Raw, []byte("GIF89a")) {
			t.Errorf("body is not a GIF: %q", r.Raw)
		}
		waitDispatched(t, store)
		e := storedEvent(t, store, "type = ? AND message_id = ?", models.EventOpen, msgID)
		if e.IP != "192.0.2.1" || e.UserAgent != "Mail/1.0" || e.Referer != "https://webmail.example/inbox" {
			t.Errorf("open stored ip %q, useragent %q, referer %q", e.IP, e.UserAgent, e.Referer)
		}
		if deref(e.DatabaseID) != a.DB || deref(e.ProfileID) != a.Profile || deref(e.SubprofileID) != a.Subprofile || deref(e.CollectionID) != a.Collection {
			t.Errorf("open stored scope %+v", e)
		}
		if countOf(wf.recorded().Deliveries, e.ID) != 1 || e.DispatchedAt == nil {
			t.Errorf("open event %s not dispatched once", e.ID)
		}
	})

	t.Run("click redirects to the stored link and records the hit", func(t *testing.T) {
		clicks := clickURLs(msg)
		if len(clicks) != len(links) {
			t.Fatalf("%d click URLs for %d links", len(clicks), len(links))
		}
		r := do(t, h, http.MethodGet, trackingPath(t, clicks[1]), nil, withToken(""), withHeader("User-Agent", "Browser/2"))
		want(t, r, http.StatusFound)
		if loc := r.Header.Get("Location"); loc != links[1] {
			t.Errorf("Location %q, want exactly %q", loc, links[1])
		}
		waitDispatched(t, store)
		e := storedEvent(t, store, "type = ? AND message_id = ?", models.EventClick, msgID)
		if e.URL != links[1] || deref(e.LinkID) != stored.Links[1].ID || e.UserAgent != "Browser/2" || e.IP != "192.0.2.1" {
			t.Errorf("click stored url %q link %s useragent %q ip %q; want %q %s", e.URL, deref(e.LinkID), e.UserAgent, e.IP, links[1], stored.Links[1].ID)
		}
		if deref(e.CollectionID) != a.Collection || countOf(wf.recorded().Deliveries, e.ID) != 1 {
			t.Errorf("click event %+v not scoped or not dispatched once", e)
		}
	})

	t.Run("forged tokens", func(t *testing.T) {
		own := tracking.NewTokens(trackingKey)
		otherMsg := createMessage(t, h, a.Profile, "").str("id")
		valid := own.Make(tracking.Target{Kind: tracking.Open, MessageID: msgID})
		_, mac, _ := strings.Cut(valid, ".")
		tampered := base64.RawURLEncoding.EncodeToString([]byte("o:"+otherMsg)) + "." + mac
		for _, c := range []struct{ name, path string }{
			{"wrong key", "/t/o/" + tracking.NewTokens("another key").Make(tracking.Target{Kind: tracking.Open, MessageID: msgID})},
			{"wrong key, click", "/t/c/" + tracking.NewTokens("another key").Make(tracking.Target{Kind: tracking.Click, MessageID: msgID})},
			{"tampered payload", "/t/o/" + tampered},
			{"tampered MAC", "/t/o/" + valid[:len(valid)-2] + flip(valid[len(valid)-2:])},
			{"no MAC", "/t/o/" + strings.Split(valid, ".")[0]},
			{"garbage", "/t/o/not-a-token"},
			{"open token on the click route", "/t/c/" + valid},
			{"click token on the open route", "/t/o/" + own.Make(tracking.Target{Kind: tracking.Click, MessageID: msgID})},
			{"link position that does not exist", "/t/c/" + own.Make(tracking.Target{Kind: tracking.Click, MessageID: msgID, Link: len(links)})},
			{"link of a message without links", "/t/c/" + own.Make(tracking.Target{Kind: tracking.Click, MessageID: otherMsg})},
			{"unknown message, open", "/t/o/" + own.Make(tracking.Target{Kind: tracking.Open, MessageID: "msg_unknown"})},
			{"unknown message, click", "/t/c/" + own.Make(tracking.Target{Kind: tracking.Click, MessageID: "msg_unknown"})},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := len(storedEvents(t, store, "1 = 1"))
				r := do(t, h, http.MethodGet, c.path, nil, withToken(""))
				wantProblem(t, r, http.StatusNotFound)
				if loc := r.Header.Get("Location"); loc != "" {
					t.Errorf("forged token redirected to %q", loc)
				}
				if n := len(storedEvents(t, store, "1 = 1")); n != before {
					t.Errorf("forged token stored %d events", n-before)
				}
			})
		}
	})
}

// flip changes every character of s into another valid base64url one.
func flip(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == 'A' {
			b.WriteRune('B')
		} else {
			b.WriteRune('A')
		}
	}
	return b.String()
}

// TestTrackingClientIP checks whose X-Forwarded-For is believed: nobody's
// by default, and only a configured proxy's otherwise.
func TestTrackingClientIP(t *testing.T) {
	t.Parallel()
	openIP := func(t *testing.T, h http.Handler, store *models.Store, opts ...requestOption) string {
		t.Helper()
		msg := createMessage(t, h, createAudience(t, h).Profile, "")
		want(t, do(t, h, http.MethodGet, trackingPath(t, msg.str("open_url")), nil, append(opts, withToken(""))...), http.StatusOK)
		return storedEvent(t, store, "type = ? AND message_id = ?", models.EventOpen, msg.str("id")).IP
	}

	t.Run("ignored by default", func(t *testing.T) {
		t.Parallel()
		var store *models.Store
		h := newServer(t, keepStore(&store))
		if ip := openIP(t, h, store, withHeader("X-Forwarded-For", "203.0.113.7")); ip != "192.0.2.1" {
			t.Errorf("ip %q, want the remote address 192.0.2.1", ip)
		}
		if ip := openIP(t, h, store, withRemoteAddr("198.51.100.9:4242"), withHeader("X-Forwarded-For", "203.0.113.7"), withHeader("X-Real-IP", "203.0.113.8")); ip != "198.51.100.9" {
			t.Errorf("ip %q, want the remote address 198.51.100.9", ip)
		}
	})

	t.Run("honoured from a trusted proxy", func(t *testing.T) {
		t.Parallel()
		var store *models.Store
		h := newServer(t, keepStore(&store), withTrustedProxies("192.0.2.1"))
		if ip := openIP(t, h, store, withRemoteAddr("192.0.2.1:1234"), withHeader("X-Forwarded-For", "203.0.113.7")); ip != "203.0.113.7" {
			t.Errorf("ip %q through the trusted proxy, want 203.0.113.7", ip)
		}
		if ip := openIP(t, h, store, withRemoteAddr("192.0.2.1:1234")); ip != "192.0.2.1" {
			t.Errorf("ip %q from the proxy without the header, want 192.0.2.1", ip)
		}
		if ip := openIP(t, h, store, withRemoteAddr("198.51.100.9:4242"), withHeader("X-Forwarded-For", "203.0.113.7")); ip != "198.51.100.9" {
			t.Errorf("ip %q from an untrusted address, want its own 198.51.100.9", ip)
		}
	})
}
