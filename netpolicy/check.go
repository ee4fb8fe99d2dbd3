package netpolicy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
)

// CheckURL vets the destination of a parsed callback URL at registration
// time: a literal IP is checked directly, a host name is resolved and
// refused if any of its addresses is not public (one private answer is
// enough for a round-robin rebinding attack). Refusals and lookup failures
// are *URLError.
//
// With AllowPrivate nothing is resolved and every host is accepted: dev
// setups often register names (docker-compose services) that only resolve
// once the receiver is up, and there is no policy left to enforce.
// DialContext re-checks at connect time in any case.
func (p Policy) CheckURL(ctx context.Context, u *url.URL) error {
	if u == nil || u.Hostname() == "" {
		return &URLError{Reason: "must have a host"}
	}
	if p.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !IsPublic(ip) {
			return &URLError{Reason: "host " + host + " is a private address"}
		}
		return nil
	}
	addrs, err := p.resolver().LookupNetIP(ctx, "ip", host)
	if err != nil {
		return &URLError{Reason: "host cannot be resolved: " + lookupFailure(host, err), Err: err}
	}
	return checkResolved(host, addrs)
}

// checkResolved applies the policy to a host's DNS answer; split out so the
// mixed public/private case can be tested without a DNS server.
func checkResolved(host string, addrs []netip.Addr) error {
	if len(addrs) == 0 {
		return &URLError{Reason: "host cannot be resolved: no addresses for " + host}
	}
	for _, a := range addrs {
		if !IsPublic(a) {
			return &URLError{Reason: "host " + host + " resolves to a private address " + a.Unmap().String()}
		}
	}
	return nil
}

// lookupFailure says why a name did not resolve without the resolver's
// own address, which err.Error() includes ("lookup x on 10.0.0.2:53: …")
// and which is nobody's business outside this network.
func lookupFailure(host string, err error) string {
	var dnsErr *net.DNSError
	switch {
	case !errors.As(err, &dnsErr):
		return "the lookup of " + host + " failed"
	case dnsErr.IsNotFound:
		return host + " does not exist (no such host)"
	case dnsErr.IsTimeout:
		return "the lookup of " + host + " timed out; try again"
	case dnsErr.IsTemporary:
		return "the lookup of " + host + " failed for now; try again"
	}
	return "the lookup of " + host + " failed: " + dnsErr.Err
}
