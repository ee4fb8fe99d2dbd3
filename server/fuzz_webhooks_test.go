package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/netpolicy/netpolicytest"
	"github.com/hookflow/hookflow/server"
)

// fuzzDNS is the fuzzed servers' DNS: one public name, names for the
// private ranges, and nothing else (NXDOMAIN at once, never a wait on a
// real resolver).
func fuzzDNS(o *server.Options) {
	names := map[string]string{
		"hooks.public.test":   "93.184.216.34",
		"hooks.loopback.test": "127.0.0.1",
		"hooks.metadata.test": "169.254.169.254",
		"hooks.private.test":  "10.1.2.3",
		"hooks.ula.test":      "fd00::1",
	}
	o.Network = netpolicy.Policy{Resolver: netpolicytest.Resolver(func(host string) []netip.Addr {
		if ip, ok := names[strings.ToLower(host)]; ok {
			return []netip.Addr{netip.MustParseAddr(ip)}
		}
		return nil
	})}
}

// webhookSeeds are webhook bodies beyond fuzzSeeds: every member, URLs
// at the edges of the policy.
var webhookSeeds = []string{
	`{"url":"https://hooks.public.test/h","events":["open","click"]}`,
	`{"url":"https://HOOKS.public.test./h?x=1#frag","events":["open"],"format":"json"}`,
	`{"url":"https://hooks.loopback.test/h","events":["open"]}`,
	`{"url":"https://hooks.metadata.test/latest/meta-data/","events":["open"]}`,
	`{"url":"http://hooks.private.test:8080/h","events":["open"]}`,
	`{"url":"http://hooks.ula.test/h","events":["open"]}`,
	`{"url":"http://nowhere.test/h","events":["open"]}`,
	`{"url":"http://[::ffff:127.0.0.1]/","events":["open"]}`, `{"url":"http://[::ffff:169.254.169.254]/","events":["open"]}`,
	`{"url":"http://100.64.0.1/","events":["open"]}`, `{"url":"http://172.16.0.1/","events":["open"]}`, `{"url":"http://192.168.0.1/","events":["open"]}`,
	`{"url":"http://[fd00::1]/","events":["open"]}`, `{"url":"http://[fe80::1]/","events":["open"]}`, `{"url":"http://[::1]/","events":["open"]}`,
	`{"url":"http://127.1/","events":["open"]}`, `{"url":"http://2130706433/","events":["open"]}`, `{"url":"http://0177.0.0.1/","events":["open"]}`,
	`{"url":"https://93.184.216.34:0/","events":["open"]}`, `{"url":"https://93.184.216.34:65536/","events":["open"]}`,
	`{"url":"https://u:p@93.184.216.34/","events":["open"]}`, `{"url":"ftp://93.184.216.34/","events":["open"]}`,
	`{"url":"https://93.184.216.34/","events":[]}`, `{"url":"https://93.184.216.34/","events":["open"],"status":"paused"}`,
	`{"url":"https://93.184.216.34/","events":["open"],"status":"active"}`, `{"url":"https://93.184.216.34/","events":["open"],"status":"disabled"}`,
	`{"url":"https://93.184.216.34/","events":["open"],"format":"xml"}`, `{"url":"https://93.184.216.34/","events":["open"],"secret":"whsec_x"}`,
	`{"url":"https://93.184.216.34/","events":["open"],"headers":{"X-A":"b","Host":"evil","Content-Length":"1"}}`,
	`{"url":"https://93.184.216.34/","events":["open"],"headers":{"X-A":"b\r\nX-Injected: 1"}}`,
	`{"events":["click"]}`, `{"status":"paused"}`, `{"status":"active"}`, `{"url":null}`, `{"events":null}`,
	`{"database_id":"$DB"}`, `{"collection_id":"$COL"}`, `{"database_id":null,"collection_id":null}`, `{"collection_id":"$COL","database_id":"$DB"}`,
}

// FuzzWebhookCreate posts each body to POST /v1/webhooks under the
// production network policy: no 5xx, no panic, refusals are problem
// details, and no webhook is made for a private destination.
func FuzzWebhookCreate(f *testing.F) {
	for _, s := range append(fuzzSeeds(), webhookSeeds...) {
		f.Add(s)
	}
	h := newServer(f, fuzzDNS)
	a := createAudience(f, h)
	ids := fixtureIDs(a, createMessage(f, h, a.Profile, a.Subprofile, "https://example.com/").str("id"))
	f.Fuzz(func(t *testing.T, body string) {
		body = ids.Replace(body)
		r := do(t, h, http.MethodPost, "/v1/webhooks", body)
		wantHandled(t, r, "POST /v1/webhooks", body, http.StatusCreated)
		if r.Code == http.StatusCreated {
			wantPublicDestination(t, r, body)
		}
	})
}

// FuzzWebhookUpdate sends each body as a PATCH of one webhook, with the
// If-Match given ("" sends none; $ETAG is the webhook's current tag,
// $STALE an old one).
func FuzzWebhookUpdate(f *testing.F) {
	matches := []string{"", "$ETAG", "$STALE", "*", `"v1", $ETAG`, "$ETAG, *", `W/"v1"`, `"v`, "v1", `""`, `"v-1"`, `"v99999999999999999999"`, ",", `"v1",,`}
	for i, s := range append(fuzzSeeds(), webhookSeeds...) {
		f.Add(s, matches[i%len(matches)])
	}
	h := newServer(f, fuzzDNS)
	a := createAudience(f, h)
	ids := fixtureIDs(a, createMessage(f, h, a.Profile, a.Subprofile, "https://example.com/").str("id"))
	id := createWebhook(f, h, []string{"open"}, nil)
	path := "/v1/webhooks/" + id
	stale := do(f, h, http.MethodGet, path, nil).Header.Get("ETag")
	if r := do(f, h, http.MethodPatch, path, map[string]any{"events": []string{"open", "click"}}); r.Code != http.StatusOK {
		f.Fatalf("PATCH %s answered %d: %s", path, r.Code, r.Raw)
	}
	f.Fuzz(func(t *testing.T, body, match string) {
		body = ids.Replace(body)
		current := do(t, h, http.MethodGet, path, nil)
		want(t, current, http.StatusOK)
		match = strings.NewReplacer("$ETAG", current.Header.Get("ETag"), "$STALE", stale).Replace(match)
		r := do(t, h, http.MethodPatch, path, body, withIfMatch(match))
		wantHandled(t, r, "PATCH "+path+" If-Match: "+match, body, http.StatusOK)
		if r.Code == http.StatusOK {
			wantPublicDestination(t, r, body)
		}
	})
}

// withIfMatch sends an If-Match header as given, even a blank one; "" sends none.
func withIfMatch(v string) requestOption {
	return func(r *http.Request) {
		if v != "" {
			r.Header["If-Match"] = []string{v}
		}
	}
}

// wantPublicDestination fails unless the webhook answered has a URL the
// production policy accepts: a literal public address or the one public
// name of fuzzDNS.
func wantPublicDestination(t *testing.T, r response, body string) {
	t.Helper()
	u, err := netpolicy.ParseCallbackURL(r.str("url"))
	if err != nil {
		t.Fatalf("webhook stored with URL %q: %v\ninput: %.300q", r.str("url"), err, body)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil && netpolicy.IsPublic(ip) || strings.EqualFold(strings.TrimSuffix(host, "."), "hooks.public.test") {
		return
	}
	t.Errorf("webhook stored with URL %q, not a public destination\ninput: %.300q", r.str("url"), body)
}
