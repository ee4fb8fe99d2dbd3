// Package receiver is an example webhook receiver, written the way a
// hookflow customer would write one in Go: it verifies every request with
// the official Standard Webhooks library (v1, the webhook's shared secret)
// and, if given hookflow's public key, the ed25519 v1a signature too;
// it serves the verification file so the webhook can be verified; and it
// prints one line per webhook. "hookflow receiver" runs it.
//
// A production receiver would also deduplicate on the webhook-id header,
// which stays the same on every retry of a delivery.
package receiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/signing"
)

// maxBodyBytes caps a webhook body; hookflow's own payloads are far smaller.
const maxBodyBytes = 1 << 20

// maxFileBytes caps a served verification file.
const maxFileBytes = 4 << 10

// Options configure the receiver. At least one of Secret and PublicKey is
// required: a receiver that verifies nothing accepts anyone's requests.
type Options struct {
	// Secret is the webhook's secret ("whsec_…", from the create
	// response). When set, every POST must carry a valid v1 signature.
	Secret string
	// PublicKey is hookflow's public key ("whpk_…", from GET
	// /v1/signing-keys). When set, every POST must carry a valid v1a
	// signature; it needs no per-webhook secret.
	PublicKey string
	// VerificationDir, if set, is served read-only for GET requests whose
	// last path segment is a .txt file name (such as
	// hookflow-<token>.txt), wherever the webhook's URL puts them.
	VerificationDir string
	// Out receives one line per webhook; nil discards them.
	Out io.Writer
}

// Validate reports a missing or malformed key, so a command can refuse to
// start instead of answering every request with 500.
func (o Options) Validate() error {
	if o.Secret == "" && o.PublicKey == "" {
		return errors.New("receiver: set a webhook secret (whsec_…), hookflow's public key (whpk_…), or both")
	}
	if o.Secret != "" {
		if !strings.HasPrefix(o.Secret, "whsec_") {
			return errors.New(`receiver: the webhook secret must start with "whsec_"`)
		}
		if _, err := standardwebhooks.NewWebhook(o.Secret); err != nil {
			return fmt.Errorf("receiver: webhook secret: %w", err)
		}
	}
	if o.PublicKey != "" {
		// Verifying any message parses the key; a malformed key fails before
		// the headers are looked at.
		err := signing.VerifyV1aIgnoringTimestamp(o.PublicKey, nil, http.Header{})
		if err != nil && !errors.Is(err, standardwebhooks.ErrRequiredHeaders) {
			return fmt.Errorf("receiver: public key: %w", err)
		}
	}
	return nil
}

// Handler returns the receiver: POST (any path) verifies a webhook and
// answers 204, or 401 if a signature is missing or wrong; GET serves
// verification files from VerificationDir. Invalid options make every
// POST fail with 500 (call Validate first).
func Handler(opts Options) http.Handler {
	h := &handler{opts: opts, out: opts.Out, invalid: opts.Validate()}
	if h.out == nil {
		h.out = io.Discard
	}
	if h.invalid == nil && opts.Secret != "" {
		h.wh, _ = standardwebhooks.NewWebhook(opts.Secret)
	}
	return h
}

type handler struct {
	opts    Options
	wh      *standardwebhooks.Webhook
	invalid error

	mu  sync.Mutex // one writer of out at a time, so lines never interleave
	out io.Writer
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.receive(w, r)
	case http.MethodGet, http.MethodHead:
		h.serveFile(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *handler) receive(w http.ResponseWriter, r *http.Request) {
	if h.invalid != nil {
		http.Error(w, "receiver is misconfigured", http.StatusInternalServerError)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	msgID := r.Header.Get(standardwebhooks.HeaderWebhookID)
	verified, err := h.verify(body, r.Header)
	if err != nil {
		h.printf("rejected webhook-id=%s: %v\n", orDash(msgID), err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	h.printf("%s webhook-id=%s verified=%s %s\n", eventType(r.Header, body), orDash(msgID), strings.Join(verified, ","), compact(body))
	w.WriteHeader(http.StatusNoContent)
}

// verify checks every signature the receiver has a key for and returns
// their names; all of them must be valid.
func (h *handler) verify(body []byte, header http.Header) ([]string, error) {
	var verified []string
	if h.wh != nil {
		if err := h.wh.Verify(body, header); err != nil {
			return nil, fmt.Errorf("v1: %w", err)
		}
		verified = append(verified, "v1")
	}
	if h.opts.PublicKey != "" {
		if err := signing.VerifyV1a(h.opts.PublicKey, body, header); err != nil {
			return nil, fmt.Errorf("v1a: %w", err)
		}
		verified = append(verified, "v1a")
	}
	return verified, nil
}

// fileName is what may be served: a plain .txt name, no hidden files.
var fileName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*\.txt$`)

// serveFile answers GET …/<name>.txt from VerificationDir. hookflow looks
// for the file beside the webhook's URL and at the web root, so only the
// last path segment counts; os.OpenInRoot keeps every lookup inside the
// directory.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.URL.Path)
	if h.opts.VerificationDir == "" || !fileName.MatchString(name) {
		http.NotFound(w, r)
		return
	}
	f, err := os.OpenInRoot(h.opts.VerificationDir, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() > maxFileBytes {
		http.NotFound(w, r)
		return
	}
	content, err := io.ReadAll(io.LimitReader(f, maxFileBytes))
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, info.ModTime(), bytes.NewReader(content))
}

func (h *handler) printf(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.out, format, args...)
}

// eventType is hookflow's Hookflow-Event-Type header, else the body's
// "type" field.
func eventType(header http.Header, body []byte) string {
	if t := header.Get("Hookflow-Event-Type"); t != "" {
		return t
	}
	var payload struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &payload) == nil && payload.Type != "" {
		return payload.Type
	}
	return "-"
}

// compact is the body as one line: compact JSON, or for other formats
// (webhooks created with "format":"form") the raw body, quoted.
func compact(body []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, body); err == nil {
		return buf.String()
	}
	return fmt.Sprintf("%q", body)
}

// orDash prints a header value as one word: "-" when empty, quoted when it
// holds spaces or other unusual characters.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	if strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == '"' || c >= 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
