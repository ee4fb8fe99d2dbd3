package activities

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/netpolicy/netpolicytest"
)

// refusedAddress is how an attempt or a check says the policy refused the
// destination.
const refusedAddress = "destination address is not public"

// productionNetwork has a calls its receivers under the production policy
// (no private addresses), with a DNS that answers every name with the
// address in dns, which a test may change between registration and
// delivery.
func productionNetwork(a *Activities, dns *atomic.Value) netpolicy.Policy {
	p := netpolicy.Policy{Resolver: netpolicytest.Resolver(func(string) []netip.Addr {
		return []netip.Addr{netip.MustParseAddr(dns.Load().(string))}
	})}
	a.HTTP = p.NewHTTPClient(2 * time.Second)
	return p
}

// internalURLs are callback URLs to internal destinations: literal
// addresses of each refused range, and rebind.ssrf.test, which dns makes
// public while it is registered and 127.0.0.1 afterwards. The loopback
// ones are on port, where a receiver listens that must never be reached.
func internalURLs(t *testing.T, p netpolicy.Policy, dns *atomic.Value, port string) []string {
	t.Helper()
	urls := []string{
		"http://127.0.0.1:" + port + "/hook", "http://[::1]:" + port + "/hook", "http://[::ffff:127.0.0.1]:" + port + "/hook",
		"http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/latest/meta-data/",
		"http://10.0.0.1/hook", "http://172.16.0.1/hook", "http://192.168.1.1/hook", "http://100.64.0.1/hook",
		"http://[fd00::1]/hook", "http://[fe80::1]/hook",
	}
	dns.Store("93.184.216.34")
	rebind := "http://rebind.ssrf.test:" + port + "/hook"
	u, err := netpolicy.ParseCallbackURL(rebind)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckURL(t.Context(), u); err != nil {
		t.Fatalf("registration check of %s while it is public: %v", rebind, err)
	}
	dns.Store("127.0.0.1")
	return append(urls, rebind)
}

// Deliveries to internal destinations are refused at dial time, the
// receiver on loopback never hears of them, and each delivery's attempt
// log says the address was refused.
func TestDeliveriesToInternalAddressesAreRefusedInTheAttemptLog(t *testing.T) {
	a := newActivities(t)
	rc := newReceiver(t, answering(http.StatusOK))
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	var dns atomic.Value
	p := productionNetwork(a, &dns)
	f := createAudience(t, a)

	hooks := map[string]string{}
	for _, u := range internalURLs(t, p, &dns, port) {
		hooks[createWebhook(t, a, u).ID] = u
	}
	e := createEvent(t, a, f, models.EventOpen)
	start := time.Now()
	res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d deliveries to internal addresses: %d failed, %d pending, in %v", len(hooks), res.Failed, len(res.Pending), time.Since(start))
	for id, u := range hooks {
		d := deliveryOf(t, a, e.ID, id)
		atts := attemptsOf(t, a, d.ID)
		if d.Status != models.DeliveryFailed || len(atts) != 1 || !strings.Contains(atts[0].Error, refusedAddress) {
			t.Errorf("delivery to %s is %s with attempts %+v, want failed with an attempt saying %q", u, d.Status, atts, refusedAddress)
		}
	}
	if n := len(rc.received()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// The verification check of an internal destination is refused, and the
// failure reasons say so; so is a verification file behind a redirect to
// an internal address, and one over the cap.
func TestVerificationRefusesInternalDestinations(t *testing.T) {
	a := newActivities(t)
	rc := newReceiver(t, func(w http.ResponseWriter, _ int) { _, _ = w.Write([]byte("CONTENT42")) })
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	var dns atomic.Value
	p := productionNetwork(a, &dns)

	for _, u := range internalURLs(t, p, &dns, port) {
		w := createWebhook(t, a, u, unverified)
		res, err := a.CheckVerification(t.Context(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed || len(res.Checks) == 0 {
			t.Errorf("verification of %s: %+v, want failed", u, res)
		}
		for _, c := range res.Checks {
			if !strings.Contains(c, refusedAddress) {
				t.Errorf("verification of %s: check %q does not say the address was refused", u, c)
			}
		}
		if got := reload(t, a, w.ID); got.Status != models.WebhookUnverified {
			t.Errorf("webhook of %s became %s", u, got.Status)
		}
	}
	if n := len(rc.received()); n != 0 {
		t.Errorf("the loopback file server got %d requests", n)
	}
}

// Redirects and oversized files fail the check with a reason, in dev mode
// too, where the receiver may be on loopback but a redirect may still not
// leave its origin.
func TestVerificationRefusesRedirectsAndOversizedFiles(t *testing.T) {
	a := newActivities(t) // dev mode: private addresses allowed
	targets := []string{"http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/hookflow-abc123.txt", "http://10.0.0.1/hookflow-abc123.txt", "http://localhost/hookflow-abc123.txt"}
	// /to/<n>/… redirects to targets[n]; /big/… is a file over the cap.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/to/%d/", &n); err == nil && n < len(targets) {
			http.Redirect(w, r, targets[n], http.StatusFound)
			return
		}
		_, _ = w.Write([]byte("CONTENT42" + strings.Repeat(" ", verificationBodyBytes)))
	}))
	t.Cleanup(srv.Close)

	tests := []struct{ callback, reason string }{{srv.URL + "/big/hook", "the file is larger than 4096 bytes"}}
	for n, target := range targets {
		tests = append(tests, struct{ callback, reason string }{
			fmt.Sprintf("%s/to/%d/hook", srv.URL, n), "to " + origin(target) + " leaves the registered host: " + netpolicy.ErrRedirectRefused.Error(),
		})
	}
	for _, tt := range tests {
		w := createWebhook(t, a, tt.callback, unverified)
		res, err := a.CheckVerification(t.Context(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed || len(res.Checks) == 0 || !strings.Contains(res.Checks[0], tt.reason) {
			t.Errorf("verification of %s: %+v, want failed first with %q", tt.callback, res, tt.reason)
		}
	}
}

// origin is a URL's scheme and host with the port the redirect check names.
func origin(raw string) string {
	u, _ := url.Parse(raw)
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "80")
}
