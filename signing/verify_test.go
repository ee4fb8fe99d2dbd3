package signing

import (
	"errors"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestVerifyV1a(t *testing.T) {
	secret, _ := NewSecret()
	keys := mustKeyPair(t)
	other := mustKeyPair(t)
	body := []byte(`{"n":1}`)
	signer := Signer{Keys: &keys}
	fresh, err := signer.Headers(secret, "msg_1", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	old, err := signer.Headers(secret, "msg_1", time.Now().Add(-10*time.Minute), body)
	if err != nil {
		t.Fatal(err)
	}
	v1Only, err := Signer{}.Headers(secret, "msg_1", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}

	if err := VerifyV1a(keys.PublicKeyString(), body, fresh); err != nil {
		t.Fatalf("right key: %v", err)
	}
	if err := VerifyV1a(other.PublicKeyString(), body, fresh); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("other key: err %v", err)
	}
	if err := VerifyV1a(keys.PublicKeyString(), []byte(`{"n":2}`), fresh); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("tampered body: err %v", err)
	}
	if err := VerifyV1a(keys.PublicKeyString(), body, old); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
		t.Fatalf("old timestamp: err %v", err)
	}
	if err := VerifyV1aIgnoringTimestamp(keys.PublicKeyString(), body, old); err != nil {
		t.Fatalf("old timestamp, ignoring time: %v", err)
	}
	if err := VerifyV1a(keys.PublicKeyString(), body, v1Only); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("v1 only: err %v", err)
	}

	moved := fresh.Clone()
	moved.Set("webhook-id", "msg_2")
	if err := VerifyV1a(keys.PublicKeyString(), body, moved); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Fatalf("changed id: err %v", err)
	}
	missing := fresh.Clone()
	missing.Del("webhook-timestamp")
	if err := VerifyV1a(keys.PublicKeyString(), body, missing); !errors.Is(err, standardwebhooks.ErrRequiredHeaders) {
		t.Fatalf("missing timestamp: err %v", err)
	}
	for _, bad := range []string{"", "whpk_!!!", "whpk_AAAA", keys.SecretKeyString()} {
		if err := VerifyV1a(bad, body, fresh); err == nil {
			t.Errorf("public key %q accepted", bad)
		}
	}
}
