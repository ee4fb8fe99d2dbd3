package netpolicy

import "net/netip"

// nonPublic4 lists IPv4 ranges that are not globally routable unicast
// (IANA IPv4 Special-Purpose Address Registry, plus multicast/reserved).
var nonPublic4 = mustPrefixes(
	"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches localhost on Linux
	"10.0.0.0/8",      // RFC 1918 private
	"100.64.0.0/10",   // RFC 6598 carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, incl. cloud metadata 169.254.169.254
	"172.16.0.0/12",   // RFC 1918 private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // TEST-NET-1 documentation
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // RFC 1918 private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // TEST-NET-2 documentation
	"203.0.113.0/24",  // TEST-NET-3 documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, incl. broadcast 255.255.255.255
)

// Only 2000::/3 is allocated for global unicast; everything outside it
// (loopback, unspecified, fc00::/7 ULA, fe80::/10 link-local, ff00::/8
// multicast, 100::/64 discard, IPv4-compatible/SIIT forms, local-use NAT64
// 64:ff9b:1::/48, ...) is refused by default.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// nonPublic6 carves non-global ranges out of 2000::/3.
var nonPublic6 = mustPrefixes(
	"2001::/23",     // IETF protocol assignments, incl. Teredo 2001::/32, which hides the real IPv4 peer
	"2001:db8::/32", // documentation
	"3fff::/20",     // documentation (RFC 9637)
	"5f00::/16",     // SRv6 SIDs (RFC 9602)
)

// Prefixes that embed an IPv4 address: judge them by that address, so
// 64:ff9b::7f00:1 (NAT64 for 127.0.0.1) is as forbidden as 127.0.0.1 itself.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix, IPv4 in the last 32 bits
	sixToFour = netip.MustParsePrefix("2002::/16")    // RFC 3056 6to4, IPv4 in bits 16..47
)

// IsPublic reports whether ip is a globally routable unicast address.
// It is false for loopback, private (RFC 1918, fc00::/7), link-local,
// multicast, unspecified, CGNAT, benchmarking, documentation and other
// special-purpose ranges, and for IPv4-mapped, NAT64 and 6to4 forms of them.
func IsPublic(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.WithZone("").Unmap() // ::ffff:a.b.c.d is dialled as a.b.c.d
	if ip.Is4() {
		return !inAny(ip, nonPublic4)
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
	case !globalUnicast6.Contains(ip):
		return false
	}
	return !inAny(ip, nonPublic6)
}

func inAny(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}
