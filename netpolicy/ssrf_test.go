package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/netpolicy/netpolicytest"
)

// internalAddresses are the destinations an SSRF aims at, one or more per
// kind of range the production policy refuses.
var internalAddresses = []string{
	"127.0.0.1", "127.255.255.254", // loopback
	"169.254.169.254", "169.254.0.1", // link-local, cloud metadata
	"10.0.0.1", "10.255.255.254", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.254", // RFC 1918
	"100.64.0.1", "100.127.255.254", // CGNAT
	"0.0.0.0",                                                       // reaches localhost on Linux
	"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", // IPv4-mapped IPv6
	"::1", "::", // IPv6 loopback, unspecified
	"fd00::1", "fc00::1", "fdff::1", // ULA
	"fe80::1",                           // link-local
	"64:ff9b::7f00:1", "2002:7f00:1::1", // NAT64 and 6to4 forms of 127.0.0.1
}

// hostOf is addr as a URL's host.
func hostOf(addr string) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]"
	}
	return addr
}

// answering is a resolver giving every name the one address of *ip.
func answering(ip *atomic.Value) *net.Resolver {
	return netpolicytest.Resolver(func(string) []netip.Addr {
		return []netip.Addr{netip.MustParseAddr(ip.Load().(string))}
	})
}

// Every internal address is refused at registration, given literally or
// behind a name, and at dial time, so a request never leaves for it.
func TestInternalDestinationsAreRefused(t *testing.T) {
	for _, addr := range internalAddresses {
		t.Run(addr, func(t *testing.T) {
			var ip atomic.Value
			ip.Store(addr)
			p := Policy{Resolver: answering(&ip)}
			for _, raw := range []string{"http://" + hostOf(addr) + "/hook", "https://internal.ssrf.test/hook"} {
				u, err := ParseCallbackURL(raw)
				if err != nil {
					t.Fatalf("ParseCallbackURL(%s): %v", raw, err)
				}
				var ue *URLError
				if err := p.CheckURL(context.Background(), u); !errors.As(err, &ue) || !strings.Contains(ue.Reason, "private address") {
					t.Errorf("CheckURL(%s) = %v, want refused as a private address", raw, err)
				}
				_, _, err = get(t, p.NewHTTPClient(2*time.Second), raw)
				if !errors.Is(err, ErrForbiddenAddress) {
					t.Errorf("GET %s = %v, want ErrForbiddenAddress", raw, err)
				} else if !strings.Contains(err.Error(), "not public") {
					t.Errorf("GET %s failed with %q, which does not say why", raw, err)
				}
			}
		})
	}
}

// A name that resolves to a public address when it is registered and to
// loopback when it is called (DNS rebinding) is refused at dial time: the
// address is checked after resolution, on what is actually dialled.
func TestDNSRebindingIsRefusedAtDialTime(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	for _, internal := range []string{"127.0.0.1", "::ffff:127.0.0.1"} {
		var ip atomic.Value
		ip.Store("93.184.216.34")
		p := Policy{Resolver: answering(&ip)}
		u, err := ParseCallbackURL("http://rebind.ssrf.test:" + port + "/hook")
		if err != nil {
			t.Fatal(err)
		}
		if err := p.CheckURL(context.Background(), u); err != nil {
			t.Fatalf("CheckURL while the name is public: %v", err)
		}
		ip.Store(internal)
		_, _, err = get(t, p.NewHTTPClient(2*time.Second), u.String())
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("GET %s rebound to %s = %v, want ErrForbiddenAddress", u, internal, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback server was reached %d times", n)
	}
}

// A redirect to an internal address is refused before anything is dialled,
// even in dev mode, where the address itself would be allowed: it leaves
// the registered origin.
func TestRedirectsToInternalAddressesAreRefused(t *testing.T) {
	for _, addr := range internalAddresses {
		location := "http://" + hostOf(addr) + "/latest/meta-data/"
		origin := httptest.NewServer(http.RedirectHandler(location, http.StatusFound))
		_, _, err := get(t, Policy{AllowPrivate: true}.NewHTTPClient(2*time.Second), origin.URL+"/hook")
		origin.Close()
		if !errors.Is(err, ErrRedirectRefused) {
			t.Errorf("redirect to %s: err = %v, want ErrRedirectRefused", location, err)
		}
	}
}

// IsPublic and the dial check agree for every internal address in each
// of the spellings a dialer may be handed.
func TestRefuseNonPublicSpellings(t *testing.T) {
	for _, addr := range internalAddresses {
		ip := netip.MustParseAddr(addr)
		for _, hostPort := range []string{netip.AddrPortFrom(ip, 80).String(), net.JoinHostPort(ip.Unmap().String(), "443")} {
			if err := refuseNonPublic("tcp", hostPort, nil); !errors.Is(err, ErrForbiddenAddress) {
				t.Errorf("refuseNonPublic(%s) = %v, want ErrForbiddenAddress", hostPort, err)
			}
		}
		if u, err := url.Parse("http://" + hostOf(addr) + "/"); err != nil || IsPublic(netip.MustParseAddr(u.Hostname())) {
			t.Errorf("%s reads as public through a URL (%v)", addr, err)
		}
	}
}
