package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url    string
		reason string // "" = allowed without AllowPrivate
	}{
		{"http://127.0.0.1/", "host 127.0.0.1 is a private address"},
		{"http://[::1]:8080/", "host ::1 is a private address"},
		{"http://10.1.2.3/", "host 10.1.2.3 is a private address"},
		{"http://169.254.169.254/latest/meta-data/", "host 169.254.169.254 is a private address"},
		{"http://[::ffff:127.0.0.1]/", "host ::ffff:127.0.0.1 is a private address"},
		{"http://localhost:9000/", "host localhost resolves to a private address "},
		{"https://8.8.8.8/", ""},
		{"https://[2001:4860:4860::8888]/", ""},
	}
	ctx := context.Background()
	for _, tt := range tests {
		u, err := ParseCallbackURL(tt.url)
		if err != nil {
			t.Fatalf("ParseCallbackURL(%q): %v", tt.url, err)
		}

		err = Policy{}.CheckURL(ctx, u)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("CheckURL(%s) = %v, want nil", tt.url, err)
			}
		} else {
			var ue *URLError
			if !errors.As(err, &ue) || !strings.HasPrefix(ue.Reason, tt.reason) {
				t.Errorf("CheckURL(%s) = %v, want *URLError with reason %q", tt.url, err, tt.reason)
			}
		}

		if err := (Policy{AllowPrivate: true}).CheckURL(ctx, u); err != nil {
			t.Errorf("AllowPrivate CheckURL(%s) = %v, want nil", tt.url, err)
		}
	}
}

func TestCheckURLNoHost(t *testing.T) {
	for _, u := range []*url.URL{nil, {Scheme: "http", Path: "/x"}} {
		var ue *URLError
		if err := (Policy{}).CheckURL(context.Background(), u); !errors.As(err, &ue) {
			t.Errorf("CheckURL(%v) = %v, want *URLError", u, err)
		}
	}
}

func TestCheckURLUnresolvable(t *testing.T) {
	dnsDown := errors.New("dns is down")
	p := Policy{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, dnsDown
		},
	}}
	u, err := ParseCallbackURL("https://hooks.example.com/x")
	if err != nil {
		t.Fatal(err)
	}
	err = p.CheckURL(context.Background(), u)
	var ue *URLError
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.Reason, "host cannot be resolved: ") {
		t.Fatalf("CheckURL = %v, want *URLError \"host cannot be resolved: ...\"", err)
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Errorf("CheckURL error does not unwrap to *net.DNSError: %#v", ue.Err)
	}
	if dnsErr != nil && dnsErr.Server != "" && strings.Contains(ue.Reason, dnsErr.Server) {
		t.Errorf("reason %q names the resolver %s", ue.Reason, dnsErr.Server)
	}
}

// Why a lookup failed is told without the resolver's address, which
// net.DNSError.Error() includes.
func TestLookupFailureHidesTheResolver(t *testing.T) {
	for _, err := range []*net.DNSError{
		{Err: "no such host", Name: "h.example", Server: "10.9.8.7:53", IsNotFound: true},
		{Err: "i/o timeout", Name: "h.example", Server: "10.9.8.7:53", IsTimeout: true},
		{Err: "server misbehaving", Name: "h.example", Server: "10.9.8.7:53", IsTemporary: true},
		{Err: "lame referral", Name: "h.example", Server: "10.9.8.7:53"},
	} {
		got := lookupFailure("h.example", err)
		if strings.Contains(got, "10.9.8.7") || !strings.Contains(got, "h.example") {
			t.Errorf("lookupFailure(%v) = %q, want the host and no resolver address", err, got)
		}
	}
}

func TestCheckResolved(t *testing.T) {
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	tests := []struct {
		name   string
		addrs  []netip.Addr
		reason string
	}{
		{"all public", addrs("8.8.8.8", "2001:4860:4860::8888"), ""},
		{"one private among public", addrs("8.8.8.8", "10.0.0.1"), "host h.example resolves to a private address 10.0.0.1"},
		{"mapped private shown unmapped", addrs("::ffff:192.168.0.1"), "host h.example resolves to a private address 192.168.0.1"},
		{"private IPv6", addrs("2001:4860:4860::8888", "fd00::1"), "host h.example resolves to a private address fd00::1"},
		{"no addresses", nil, "host cannot be resolved: no addresses for h.example"},
	}
	for _, tt := range tests {
		err := checkResolved("h.example", tt.addrs)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.reason {
			t.Errorf("%s: checkResolved = %q, want %q", tt.name, got, tt.reason)
		}
	}
}
