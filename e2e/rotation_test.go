package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// During a rotated secret's grace period a delivery verifies, with the
// official library, with the old and with the new secret; after it only
// with the new one.
func TestSecretRotationSignsWithBothSecretsDuringGrace(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "finn@example.com"}, map[string]any{})
	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "delivery")
	oldSecret := wh.Secret

	var rotation struct {
		Secret                  string    `json:"secret"`
		PreviousSecretExpiresAt time.Time `json:"previous_secret_expires_at"`
	}
	s.call("POST", "/v1/webhooks/"+wh.ID+"/rotate-secret", map[string]any{"grace": "3s"}, http.StatusOK, &rotation)
	require.NotEqual(t, oldSecret, rotation.Secret)
	verifies := func(secret string, r receivedRequest) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		require.NoError(t, err)
		return wh.Verify(r.Body, r.Headers)
	}
	v1Count := func(r receivedRequest) int {
		return strings.Count(" "+r.Headers.Get("webhook-signature"), " v1,")
	}

	// The receiver still verifies with the old secret (see receiver.serve).
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	during := rc.next()
	require.NoError(t, verifies(oldSecret, during), "the old secret verifies during grace")
	require.NoError(t, verifies(rotation.Secret, during), "the new secret verifies during grace")
	require.Equal(t, 2, v1Count(during), "two v1 signatures during grace: %s", during.Headers.Get("webhook-signature"))

	rc.mu.Lock()
	rc.secret = rotation.Secret // the receiver switches
	rc.mu.Unlock()
	// Grace is a point in time: wait for it to pass, then send.
	time.Sleep(time.Until(rotation.PreviousSecretExpiresAt) + 100*time.Millisecond)
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
	after := rc.next()
	require.NoError(t, verifies(rotation.Secret, after), "the new secret verifies after grace")
	require.ErrorIs(t, verifies(oldSecret, after), standardwebhooks.ErrNoMatchingSignature, "the old secret no longer verifies")
	require.Equal(t, 1, v1Count(after), "one v1 signature after grace")
}
