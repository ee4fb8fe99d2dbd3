package server_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/tracking"
)

// FuzzTrackingRoutes requests GET /t/o/:token and /t/c/:token with each
// token ($OPEN and $CLICK stand for real ones): no 5xx, no panic; only a
// token the server's key signed for a real message is answered with the
// pixel or the link, anything else, forged or tampered, is a 404 problem.
func FuzzTrackingRoutes(f *testing.F) {
	const key = "fuzz tracking key"
	own := tracking.NewTokens(key)
	h := newServer(f, withTrackingKey(key))
	a := createAudience(f, h)
	msg := createMessage(f, h, a.Profile, a.Subprofile, "https://example.com/landing").str("id")
	open := own.Make(tracking.Target{Kind: tracking.Open, MessageID: msg})
	click := own.Make(tracking.Target{Kind: tracking.Click, MessageID: msg})
	payload, mac, _ := strings.Cut(open, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		"$OPEN", "$CLICK", "$OPEN.", "$OPEN$OPEN", ".$OPEN", "$OPEN=", "$OPEN\x00", "$OPEN/x", "$OPEN?x=1", "%24OPEN",
		payload, payload + ".", "." + mac, ".", "", "..", "a.b.c", "not-a-token", "\xff\xfe", "%2e%2e%2f", "../../v1/webhooks",
		payload + "." + mac[:len(mac)-1] + "B", payload + "A." + mac, strings.ToUpper(open), b64([]byte("o:"+msg+":0")) + "." + mac,
		b64([]byte("c:"+msg+":-1")) + "." + mac, b64([]byte("c:"+msg+":99999999999999999999")) + "." + mac, b64([]byte("o:"+msg)) + "==." + mac,
		tracking.NewTokens("another key").Make(tracking.Target{Kind: tracking.Open, MessageID: msg}),
		own.Make(tracking.Target{Kind: tracking.Click, MessageID: msg, Link: 1}),
		own.Make(tracking.Target{Kind: tracking.Open, MessageID: "msg_unknown"}),
		own.Make(tracking.Target{Kind: tracking.Open, MessageID: a.Profile}),
		strings.Repeat("A", 10000) + "." + mac,
	} {
		f.Add(s)
	}
	tokens := strings.NewReplacer("$OPEN", open, "$CLICK", click)
	f.Fuzz(func(t *testing.T, token string) {
		token = tokens.Replace(token)
		target, parseErr := own.Parse(token)
		for _, route := range []struct {
			prefix  string
			kind    tracking.Kind
			success int
		}{{"/t/o/", tracking.Open, http.StatusOK}, {"/t/c/", tracking.Click, http.StatusFound}} {
			path := route.prefix + url.PathEscape(token)
			r := do(t, h, http.MethodGet, path, nil, withToken(""))
			wantHandled(t, r, "GET "+path, token, route.success, http.StatusNotFound)
			genuine := parseErr == nil && target.Kind == route.kind && target.MessageID == msg && target.Link == 0
			switch {
			case genuine && r.Code != route.success:
				t.Errorf("GET %s with a genuine token answered %d: %s", path, r.Code, r.Raw)
			case !genuine && r.Code != http.StatusNotFound:
				t.Errorf("GET %s with a forged or foreign token answered %d (Location %q), want 404", path, r.Code, r.Header.Get("Location"))
			case r.Code == http.StatusFound && r.Header.Get("Location") != "https://example.com/landing":
				t.Errorf("GET %s redirected to %q, not the message's link", path, r.Header.Get("Location"))
			}
		}
	})
}
