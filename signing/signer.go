package signing

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Signer signs one request.
type Signer struct {
	Keys *KeyPair // server key for v1a; nil means only v1 is sent
}

// Headers returns the three Standard Webhooks headers for a message id, a
// time and the exact body bytes, signed with the webhook's secret (v1) and,
// if s.Keys != nil, the server key (v1a). Both signatures go in
// webhook-signature separated by a space; v1 comes first. The time is
// truncated to whole seconds, as the header carries unix seconds.
func (s Signer) Headers(secret, msgID string, at time.Time, body []byte) (http.Header, error) {
	return s.HeadersWith([]string{secret}, msgID, at, body)
}

// HeadersWith is Headers with a v1 signature for each of secrets, in
// order (the new secret and then the old one, while a rotated secret's
// grace period lasts), before v1a: receivers accept a request if any of
// them verifies, so both the old and the new secret work meanwhile.
func (s Signer) HeadersWith(secrets []string, msgID string, at time.Time, body []byte) (http.Header, error) {
	if err := checkMsgID(msgID); err != nil {
		return nil, err
	}
	if len(secrets) == 0 {
		return nil, errors.New("signing: no webhook secret")
	}
	unix := at.Unix()
	sigs := make([]string, 0, len(secrets)+1)
	for _, secret := range secrets {
		wh, err := webhookForSecret(secret)
		if err != nil {
			return nil, err
		}
		// v1 comes from the official library so it is byte-for-byte what
		// every receiver library computes.
		v1, err := wh.Sign(msgID, time.Unix(unix, 0), body)
		if err != nil {
			return nil, fmt.Errorf("signing: v1: %w", err)
		}
		sigs = append(sigs, v1)
	}
	if s.Keys != nil {
		v1a, err := signV1a(s.Keys.Private, msgID, unix, body)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, v1a)
	}
	h := make(http.Header, 3)
	h.Set(standardwebhooks.HeaderWebhookID, msgID)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(unix, 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, strings.Join(sigs, " "))
	return h, nil
}

// webhookForSecret wraps the library constructor and rejects an empty key,
// which the library accepts but which would make the HMAC worthless.
func webhookForSecret(secret string) (*standardwebhooks.Webhook, error) {
	if strings.TrimPrefix(secret, secretPrefix) == "" {
		return nil, errors.New("signing: empty webhook secret")
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, fmt.Errorf("signing: bad webhook secret: %w", err)
	}
	return wh, nil
}

func signV1a(priv ed25519.PrivateKey, msgID string, unix int64, body []byte) (string, error) {
	// ed25519.Sign panics on a wrong-sized key; fail the request instead.
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("signing: server signing key is not a valid ed25519 private key")
	}
	sig := ed25519.Sign(priv, signedContent(msgID, unix, body))
	return "v1a," + base64.StdEncoding.EncodeToString(sig), nil
}

// checkMsgID rejects ids receivers could not read back: empty ones fail
// every library's verification, and control characters or spaces are not
// safe in a header value.
func checkMsgID(msgID string) error {
	if msgID == "" {
		return errors.New("signing: empty message id")
	}
	for i := 0; i < len(msgID); i++ {
		if c := msgID[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("signing: message id %q contains whitespace or control characters", msgID)
		}
	}
	return nil
}
