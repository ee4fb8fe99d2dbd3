package receiver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/signing"
)

// fixture is a webhook as hookflow would send it: a secret, the server
// key, and a real signing.Signer.
type fixture struct {
	secret string
	keys   signing.KeyPair
	signer signing.Signer
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	secret, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := signing.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return fixture{secret: secret, keys: keys, signer: signing.Signer{Keys: &keys}}
}

// request builds a signed POST as hookflow's worker sends it.
func (f fixture) request(t *testing.T, signer signing.Signer, secret string, at time.Time, body string) *http.Request {
	t.Helper()
	h, err := signer.Headers(secret, "dlv_1", at, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/hooks/hookflow", strings.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Hookflow-Event-Type", "click")
	r.Header.Set("Hookflow-Webhook-Id", "wh_1")
	return r
}

// syncBuffer is an io.Writer safe for the handler's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const body = "{\n  \"id\": \"evt_1\",\n  \"type\": \"click\",\n  \"recipient\": \"ann@example.com\"\n}"

func TestVerifiedWebhookIsAcceptedAndPrinted(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"secret only", Options{Secret: f.secret}, "verified=v1 "},
		{"public key only", Options{PublicKey: f.keys.PublicKeyString()}, "verified=v1a "},
		{"both", Options{Secret: f.secret, PublicKey: f.keys.PublicKeyString()}, "verified=v1,v1a "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			tc.opts.Out = &out
			w := serve(Handler(tc.opts), f.request(t, f.signer, f.secret, time.Now(), body))
			if w.Code != http.StatusNoContent {
				t.Fatalf("status %d (%s), want 204", w.Code, w.Body)
			}
			line := out.String()
			want := `click webhook-id=dlv_1 ` + tc.want + `{"id":"evt_1","type":"click","recipient":"ann@example.com"}` + "\n"
			if line != want {
				t.Fatalf("printed %q\nwant    %q", line, want)
			}
		})
	}
}

func TestBadSignaturesAreRejected(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	both := Options{Secret: f.secret, PublicKey: f.keys.PublicKeyString()}
	for _, tc := range []struct {
		name string
		opts Options
		req  func() *http.Request
	}{
		{"wrong secret", both, func() *http.Request { return f.request(t, f.signer, other.secret, time.Now(), body) }},
		{"wrong server key", both, func() *http.Request { return f.request(t, other.signer, f.secret, time.Now(), body) }},
		{"no v1a when the public key is set", both, func() *http.Request { return f.request(t, signing.Signer{}, f.secret, time.Now(), body) }},
		{"too old", both, func() *http.Request { return f.request(t, f.signer, f.secret, time.Now().Add(-10*time.Minute), body) }},
		{"tampered body", both, func() *http.Request {
			r := f.request(t, f.signer, f.secret, time.Now(), body)
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(body, "evt_1", "evt_2", 1)))
			return r
		}},
		{"changed webhook-id", both, func() *http.Request {
			r := f.request(t, f.signer, f.secret, time.Now(), body)
			r.Header.Set("webhook-id", "dlv_2")
			return r
		}},
		{"unsigned", both, func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/hooks/hookflow", strings.NewReader(body))
		}},
		{"wrong secret, public key not configured", Options{Secret: f.secret}, func() *http.Request {
			return f.request(t, f.signer, other.secret, time.Now(), body)
		}},
		{"wrong server key, secret not configured", Options{PublicKey: f.keys.PublicKeyString()}, func() *http.Request {
			return f.request(t, other.signer, f.secret, time.Now(), body)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			tc.opts.Out = &out
			w := serve(Handler(tc.opts), tc.req())
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if !strings.HasPrefix(out.String(), "rejected ") {
				t.Fatalf("printed %q, want a rejected line", out.String())
			}
		})
	}
}

// The v1 signature the receiver accepts is the official library's: a
// request signed by the library alone (no hookflow code) verifies too.
func TestAcceptsTheOfficialLibrarysSignature(t *testing.T) {
	f := newFixture(t)
	wh, err := standardwebhooks.NewWebhook(f.secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig, err := wh.Sign("msg_lib", now, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("webhook-id", "msg_lib")
	r.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	r.Header.Set("webhook-signature", sig)
	var out syncBuffer
	if w := serve(Handler(Options{Secret: f.secret, Out: &out}), r); w.Code != http.StatusNoContent {
		t.Fatalf("status %d (%s), want 204", w.Code, w.Body)
	}
	if !strings.HasPrefix(out.String(), "click webhook-id=msg_lib verified=v1 ") {
		t.Fatalf("printed %q (type should come from the body)", out.String())
	}
}

func TestFormBodiesArePrintedQuoted(t *testing.T) {
	f := newFixture(t)
	const form = "type=open&recipient=ann%40example.com&tags[]=spring"
	r := f.request(t, f.signer, f.secret, time.Now(), form)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out syncBuffer
	if w := serve(Handler(Options{Secret: f.secret, Out: &out}), r); w.Code != http.StatusNoContent {
		t.Fatalf("status %d, want 204", w.Code)
	}
	want := `click webhook-id=dlv_1 verified=v1 "` + form + `"` + "\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
}

func TestTooLargeBodyIs413(t *testing.T) {
	f := newFixture(t)
	big := `{"pad":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	r := f.request(t, f.signer, f.secret, time.Now(), big)
	if w := serve(Handler(Options{Secret: f.secret}), r); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", w.Code)
	}
}

func TestServesVerificationFiles(t *testing.T) {
	dir := t.TempDir()
	const name, content = "hookflow-abc123.txt", "token-content\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".hidden.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	h := Handler(Options{Secret: f.secret, VerificationDir: dir})

	// hookflow tries the callback URL's directory and the web root.
	for _, p := range []string{"/" + name, "/hooks/" + name} {
		w := serve(h, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusOK || w.Body.String() != content {
			t.Errorf("GET %s: %d %q, want 200 %q", p, w.Code, w.Body, content)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
	for _, p := range []string{"/missing.txt", "/.hidden.txt", "/link.txt", "/hookflow-abc123.php", "/", "/../outside.txt", "/%2e%2e%2foutside.txt"} {
		if w := serve(h, httptest.NewRequest(http.MethodGet, p, nil)); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
	noDir := Handler(Options{Secret: f.secret})
	if w := serve(noDir, httptest.NewRequest(http.MethodGet, "/"+name, nil)); w.Code != http.StatusNotFound {
		t.Errorf("without a verification dir: %d, want 404", w.Code)
	}
	if w := serve(h, httptest.NewRequest(http.MethodPut, "/"+name, nil)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", w.Code)
	}
}

func TestValidate(t *testing.T) {
	f := newFixture(t)
	for _, ok := range []Options{
		{Secret: f.secret},
		{PublicKey: f.keys.PublicKeyString()},
		{Secret: f.secret, PublicKey: f.keys.PublicKeyString()},
	} {
		if err := ok.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v", ok, err)
		}
	}
	for _, bad := range []Options{
		{},
		{Secret: "not-a-secret"},
		{Secret: "whsec_!!!"},
		{PublicKey: "whpk_AAAA"},
		{PublicKey: f.keys.SecretKeyString()},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) succeeded", bad)
		}
		r := f.request(t, f.signer, f.secret, time.Now(), body)
		if w := serve(Handler(bad), r); w.Code != http.StatusInternalServerError {
			t.Errorf("Handler(%+v): %d, want 500", bad, w.Code)
		}
	}
}

// End to end over a real connection, as hookflow's worker would call it.
func TestOverHTTP(t *testing.T) {
	f := newFixture(t)
	var out syncBuffer
	srv := httptest.NewServer(Handler(Options{Secret: f.secret, PublicKey: f.keys.PublicKeyString(), Out: &out}))
	defer srv.Close()
	h, err := f.signer.Headers(f.secret, "dlv_http", time.Now(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hookflow.php", strings.NewReader(body))
	req.Header = h
	req.Header.Set("Hookflow-Event-Type", "open")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, want 204", resp.StatusCode)
	}
	if !strings.HasPrefix(out.String(), "open webhook-id=dlv_http verified=v1,v1a {") {
		t.Fatalf("printed %q", out.String())
	}
}
