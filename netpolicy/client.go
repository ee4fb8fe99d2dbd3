package netpolicy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrRedirectRefused is wrapped by the client's error when a redirect is not
// followed (other scheme/host, credentials, or too many hops).
var ErrRedirectRefused = errors.New("netpolicy: redirect refused")

const (
	maxRedirects   = 5
	connectTimeout = 10 * time.Second // dial and TLS handshake, each
)

// NewHTTPClient returns an *http.Client for calling customer URLs. timeout
// bounds each whole request including redirects and reading the body
// (0 = none). Connections go through DialContext, the environment's proxy
// settings are ignored (a proxy would dial on our behalf, bypassing the
// address check), and only same-origin redirects are followed, at most 5.
func (p Policy) NewHTTPClient(timeout time.Duration) *http.Client {
	connect := connectTimeout
	if timeout > 0 && timeout < connect {
		connect = timeout
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           p.DialContext(connect),
			ForceAttemptHTTP2:     true,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   connect,
			ExpectContinueTimeout: time.Second,
			// Keep-alive per receiver: an event's first attempts run up to
			// 16 at once and events overlap, so a busy receiver reuses its
			// connections instead of dialing (and TLS-handshaking) anew.
			MaxIdleConns:           256,
			MaxIdleConnsPerHost:    32,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 64 << 10, // a webhook receiver has no business sending more
		},
		CheckRedirect: checkRedirect,
	}
}

// checkRedirect only follows redirects that stay on the registered origin:
// the customer vetted that origin, not wherever it points to, and a
// cross-host redirect would also resend our signature headers elsewhere.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects: %w", maxRedirects, ErrRedirectRefused)
	}
	if req.URL.User != nil {
		return fmt.Errorf("redirect to a URL with credentials: %w", ErrRedirectRefused)
	}
	if orig := via[0].URL; origin(orig) != origin(req.URL) {
		return fmt.Errorf("redirect from %s to %s leaves the registered host: %w",
			origin(orig), origin(req.URL), ErrRedirectRefused)
	}
	return nil
}

// origin is scheme://host:port with the default port filled in and the host
// lower-cased, so "http://A" and "http://a:80" count as the same origin.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
