package netpolicy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// get fetches url with c and returns the status and body; err is the client error.
func get(t *testing.T, c *http.Client, url string) (int, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(body), nil
}

func TestNewHTTPClientSameHostRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		fmt.Fprint(w, "reached "+r.URL.Path)
	}))
	defer srv.Close()

	c := Policy{AllowPrivate: true}.NewHTTPClient(5 * time.Second)
	status, body, err := get(t, c, srv.URL+"/start")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	if status != http.StatusOK || body != "reached /final" {
		t.Errorf("got %d %q, want 200 \"reached /final\"", status, body)
	}
}

func TestNewHTTPClientCrossHostRedirect(t *testing.T) {
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			targetHits.Add(1)
		}
	}))
	defer target.Close()
	// Same server under another host name: a different origin as far as the
	// customer's registration is concerned.
	targetAsLocalhost := strings.Replace(target.URL, "127.0.0.1", "localhost", 1)

	tests := []struct{ name, location string }{
		{"other server", target.URL + "/final"},
		{"localhost alias", targetAsLocalhost + "/final"},
		{"scheme change", strings.Replace(target.URL, "http://", "https://", 1) + "/final"},
		{"credentials", strings.Replace(target.URL, "http://", "http://u:p@", 1) + "/final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := httptest.NewServer(http.RedirectHandler(tt.location, http.StatusTemporaryRedirect))
			defer origin.Close()

			c := Policy{AllowPrivate: true}.NewHTTPClient(5 * time.Second)
			_, _, err := get(t, c, origin.URL+"/start")
			if !errors.Is(err, ErrRedirectRefused) {
				t.Fatalf("GET with redirect to %s = %v, want ErrRedirectRefused", tt.location, err)
			}
		})
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("redirect target was called %d times, want 0", n)
	}
}

func TestNewHTTPClientRedirectLimit(t *testing.T) {
	// /hop/N redirects to /hop/N+1 until N reaches the "to" query parameter.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
		if to, _ := strconv.Atoi(r.URL.Query().Get("to")); n < to {
			http.Redirect(w, r, fmt.Sprintf("/hop/%d?%s", n+1, r.URL.RawQuery), http.StatusFound)
			return
		}
		fmt.Fprint(w, n)
	}))
	defer srv.Close()

	c := Policy{AllowPrivate: true}.NewHTTPClient(5 * time.Second)
	tests := []struct {
		redirects int
		ok        bool
	}{
		{0, true},
		{maxRedirects, true},
		{maxRedirects + 1, false},
	}
	for _, tt := range tests {
		status, body, err := get(t, c, fmt.Sprintf("%s/hop/0?to=%d", srv.URL, tt.redirects))
		if tt.ok {
			if err != nil || status != http.StatusOK || body != strconv.Itoa(tt.redirects) {
				t.Errorf("%d redirects: got %d %q %v, want 200 %q", tt.redirects, status, body, err, strconv.Itoa(tt.redirects))
			}
		} else if !errors.Is(err, ErrRedirectRefused) {
			t.Errorf("%d redirects: err = %v, want ErrRedirectRefused", tt.redirects, err)
		}
	}
}

func TestNewHTTPClientRefusesPrivateByDefault(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()

	_, _, err := get(t, Policy{}.NewHTTPClient(5*time.Second), srv.URL)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("GET %s = %v, want ErrForbiddenAddress", srv.URL, err)
	}
	if hits.Load() != 0 {
		t.Errorf("server was reached %d times, want 0", hits.Load())
	}
}

func TestNewHTTPClientConfig(t *testing.T) {
	c := Policy{}.NewHTTPClient(7 * time.Second)
	if c.Timeout != 7*time.Second {
		t.Errorf("Timeout = %v, want 7s", c.Timeout)
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("Transport is %T, want *http.Transport", c.Transport)
	}
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set; environment proxies must be ignored")
	}
	if !tr.ForceAttemptHTTP2 {
		t.Error("ForceAttemptHTTP2 = false, want true")
	}
	if tr.DialContext == nil || c.CheckRedirect == nil {
		t.Error("DialContext and CheckRedirect must be set")
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"http://Example.com/a", "http://example.com:80/b", true},
		{"https://example.com/", "https://example.com:443/", true},
		{"http://example.com/", "https://example.com/", false},
		{"http://example.com/", "http://example.com:8080/", false},
		{"http://example.com/", "http://www.example.com/", false},
		{"http://[::1]:80/", "http://[::1]/", true},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := origin(a) == origin(b); got != tt.same {
			t.Errorf("same origin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
