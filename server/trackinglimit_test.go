package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// overLimit reads hookflow_tracking_hits_over_limit_total{limit} from
// GET /metrics.
func overLimit(t testing.TB, h http.Handler, limit string) int {
	t.Helper()
	r := do(t, h, http.MethodGet, "/metrics", nil)
	want(t, r, http.StatusOK)
	m := regexp.MustCompile(`(?m)^hookflow_tracking_hits_over_limit_total\{limit="` + limit + `"\} (\d+)$`).FindSubmatch(r.Raw)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestTrackingRateLimit: past its burst, a client IP (as gin's ClientIP
// sees it behind trusted proxies) or a message still gets the pixel and
// the redirect, but no more events, and /metrics counts the hits left out.
func TestTrackingRateLimit(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	// A burst of 3 that takes over 15 minutes to come back.
	h := newServer(t, keepStore(&store), withWorkflows(wf), withTrackingKey(trackingKey),
		withTrackingLimit(0.001, 3), withTrustedProxies("192.0.2.1"))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	a := createAudience(t, h)
	newMessage := func() response { return createMessage(t, h, a.Profile, a.Subprofile, "https://example.com/landing") }
	recorded := func(msg response) int {
		return len(storedEvents(t, store, "message_id = ?", msg.str("id")))
	}
	hit := func(t *testing.T, path string, wantStatus int, opts ...requestOption) {
		t.Helper()
		r := do(t, h, http.MethodGet, path, nil, append(opts, withToken(""))...)
		want(t, r, wantStatus)
		if wantStatus == http.StatusOK && r.Header.Get("Content-Type") != "image/gif" {
			t.Errorf("over the limit the pixel came as %q", r.Header.Get("Content-Type"))
		}
		if wantStatus == http.StatusFound && r.Header.Get("Location") != "https://example.com/landing" {
			t.Errorf("over the limit the click went to %q", r.Header.Get("Location"))
		}
	}

	t.Run("per message", func(t *testing.T) {
		msg := newMessage()
		for i := range 5 {
			hit(t, trackingPath(t, msg.str("open_url")), http.StatusOK, withRemoteAddr(fmt.Sprintf("198.51.100.%d:1", i)))
		}
		hit(t, trackingPath(t, clickURLs(msg)[0]), http.StatusFound, withRemoteAddr("198.51.100.9:1"))
		if n := recorded(msg); n != 3 {
			t.Errorf("%d hits recorded on one message from 6 clients, want the burst of 3", n)
		}
		if n := overLimit(t, h, "message"); n != 3 {
			t.Errorf("over-limit counter for messages %d, want 3", n)
		}
	})

	t.Run("per client IP behind a trusted proxy", func(t *testing.T) {
		var msgs []response
		for i := range 5 {
			msgs = append(msgs, newMessage())
			hit(t, trackingPath(t, msgs[i].str("open_url")), http.StatusOK,
				withRemoteAddr("192.0.2.1:1234"), withHeader("X-Forwarded-For", "203.0.113.7"))
		}
		hit(t, trackingPath(t, clickURLs(msgs[0])[0]), http.StatusFound, withRemoteAddr("192.0.2.1:1234"), withHeader("X-Forwarded-For", "203.0.113.7"))
		total := 0
		for _, m := range msgs {
			total += recorded(m)
		}
		if total != 3 {
			t.Errorf("%d hits recorded from one client on 5 messages, want the burst of 3", total)
		}
		if n := overLimit(t, h, "client_ip"); n != 3 {
			t.Errorf("over-limit counter for client IPs %d, want 3", n)
		}
		// The proxy itself is not the client: others behind it are recorded.
		other := newMessage()
		hit(t, trackingPath(t, other.str("open_url")), http.StatusOK, withRemoteAddr("192.0.2.1:1234"), withHeader("X-Forwarded-For", "203.0.113.8"))
		if n := recorded(other); n != 1 {
			t.Errorf("another client behind the same proxy: %d hits recorded, want 1", n)
		}
	})

	t.Run("an IPv6 client is its /64", func(t *testing.T) {
		var msgs []response
		for i := range 4 {
			msgs = append(msgs, newMessage())
			hit(t, trackingPath(t, msgs[i].str("open_url")), http.StatusOK, withRemoteAddr(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)))
		}
		total := 0
		for _, m := range msgs {
			total += recorded(m)
		}
		if total != 3 {
			t.Errorf("%d hits recorded from 4 addresses of one /64, want the burst of 3", total)
		}
	})

	waitDispatched(t, store)
	for _, e := range storedEvents(t, store, "type IN ?", []string{"open", "click"}) {
		wantStartedOnce(t, wf, e.ID)
	}
}
