package signing

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// tolerance matches the official library, so v1 and v1a accept the same
// time window.
const tolerance = 5 * time.Minute

// VerifyV1a verifies a v1a signature in h against publicKey ("whpk_...").
// It checks the timestamp is within 5 minutes of now, like the library's
// Verify. Errors wrap the library's sentinel errors (ErrRequiredHeaders,
// ErrMessageTooOld, ErrNoMatchingSignature, ...) so callers can use
// errors.Is the same way for v1 and v1a.
func VerifyV1a(publicKey string, body []byte, h http.Header) error {
	return verifyV1a(publicKey, body, h, true)
}

// VerifyV1aIgnoringTimestamp is VerifyV1a without the timestamp window,
// mirroring the library's VerifyIgnoringTimestamp (for replays and tests).
func VerifyV1aIgnoringTimestamp(publicKey string, body []byte, h http.Header) error {
	return verifyV1a(publicKey, body, h, false)
}

func verifyV1a(publicKey string, body []byte, h http.Header, enforceTolerance bool) error {
	pub, err := parsePublicKey(publicKey)
	if err != nil {
		return err
	}
	msgID := h.Get(standardwebhooks.HeaderWebhookID)
	ts := h.Get(standardwebhooks.HeaderWebhookTimestamp)
	sigs := h.Get(standardwebhooks.HeaderWebhookSignature)
	if msgID == "" || ts == "" || sigs == "" {
		return fmt.Errorf("signing: %w", standardwebhooks.ErrRequiredHeaders)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("signing: timestamp %q: %w", ts, standardwebhooks.ErrInvalidHeaders)
	}
	if enforceTolerance {
		if err := checkTimestamp(time.Unix(unix, 0), time.Now()); err != nil {
			return fmt.Errorf("signing: %w", err)
		}
	}
	content := signedContent(msgID, unix, body)
	for _, entry := range strings.Split(sigs, " ") {
		sigB64, ok := strings.CutPrefix(entry, "v1a,")
		if !ok {
			continue // v1 and unknown versions are someone else's job
		}
		sig, err := base64.StdEncoding.DecodeString(sigB64)
		if err != nil {
			continue
		}
		if ed25519.Verify(pub, content, sig) {
			return nil
		}
	}
	return fmt.Errorf("signing: %w", standardwebhooks.ErrNoMatchingSignature)
}

func checkTimestamp(ts, now time.Time) error {
	if now.Sub(ts) > tolerance {
		return standardwebhooks.ErrMessageTooOld
	}
	if ts.After(now.Add(tolerance)) {
		return standardwebhooks.ErrMessageTooNew
	}
	return nil
}

func parsePublicKey(s string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(s, publicKeyPrefix) {
		return nil, fmt.Errorf("signing: public key must start with %q", publicKeyPrefix)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, publicKeyPrefix))
	if err != nil {
		return nil, fmt.Errorf("signing: decode public key: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("signing: public key is %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}
