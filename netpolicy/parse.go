package netpolicy

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLength bounds stored callback URLs; long enough for any real endpoint,
// short enough to keep rows and log lines sane.
const MaxURLLength = 2048

// ParseCallbackURL checks a callback URL's syntax only; it does no DNS. Use
// Policy.CheckURL afterwards to vet the destination.
//
// It requires an absolute http or https URL with a non-empty host, no
// userinfo (credentials in URLs leak into logs), a valid port if any, and at
// most MaxURLLength bytes. A fragment is accepted but stripped: it is never
// sent over HTTP, so keeping it would only make two equal endpoints compare
// different.
func ParseCallbackURL(raw string) (*url.URL, error) {
	if len(raw) > MaxURLLength {
		return nil, &URLError{Reason: "must be at most " + strconv.Itoa(MaxURLLength) + " bytes"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &URLError{Reason: "must be an absolute http or https URL", Err: err}
	}
	// url.Parse lower-cases the scheme. Opaque URLs ("http:example.com") have no host part.
	if (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return nil, &URLError{Reason: "must be an absolute http or https URL"}
	}
	if u.User != nil {
		return nil, &URLError{Reason: "must not contain credentials"}
	}
	host := u.Hostname()
	if host == "" {
		return nil, &URLError{Reason: "must have a host"}
	}
	if !validHost(host) {
		return nil, &URLError{Reason: "host must be a DNS name or a standard IP address"}
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, &URLError{Reason: "port must be between 1 and 65535"}
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// validHost rejects hosts that are not canonical IP literals but that some
// resolvers (getaddrinfo, browsers) would still read as IPv4 addresses, such
// as "127.1", "0x7f000001" or "2130706433". Letting them through would make
// the registration-time check depend on which resolver runs it. Following
// the WHATWG URL "ends in a number" rule: a real DNS name never has a
// numeric last label.
func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	return !isDecimal(last) && !isHexNumber(last)
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isHexNumber(s string) bool {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for _, c := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
