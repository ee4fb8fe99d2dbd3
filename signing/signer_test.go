package signing

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestHeadersVerifyWithTheOfficialLibrary(t *testing.T) {
	secret, _ := NewSecret()
	keys := mustKeyPair(t)
	body := []byte(`{"type":"invoice.paid","data":{"id":1}}`)
	for name, s := range map[string]Signer{"v1 only": {}, "v1 and v1a": {Keys: &keys}} {
		t.Run(name, func(t *testing.T) {
			h, err := s.Headers(secret, "msg_1", time.Now(), body)
			if err != nil {
				t.Fatal(err)
			}
			entries := strings.Split(h.Get("webhook-signature"), " ")
			if want := map[bool]int{false: 1, true: 2}[s.Keys != nil]; len(entries) != want {
				t.Fatalf("signature header %q: want %d entries", h.Get("webhook-signature"), want)
			}
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(body, h); err != nil {
				t.Fatalf("library rejects our headers %v: %v", h, err)
			}
			if err := wh.Verify([]byte(`{"tampered":true}`), h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Fatalf("tampered body: err %v", err)
			}
		})
	}
}

// While a rotated secret's grace period lasts, the new and the old secret
// each sign (new first), and the official library accepts the request with
// either; a third secret does not verify.
func TestHeadersWithTwoSecretsVerifyWithEither(t *testing.T) {
	newSecret, _ := NewSecret()
	oldSecret, _ := NewSecret()
	other, _ := NewSecret()
	keys := mustKeyPair(t)
	body := []byte(`{"type":"open"}`)
	at := time.Now()
	h, err := Signer{Keys: &keys}.HeadersWith([]string{newSecret, oldSecret}, "msg_2", at, body)
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(h.Get("webhook-signature"), " ")
	if len(entries) != 3 || !strings.HasPrefix(entries[0], "v1,") || !strings.HasPrefix(entries[1], "v1,") || !strings.HasPrefix(entries[2], "v1a,") {
		t.Fatalf("signature header %q: want v1 (new), v1 (old), v1a", h.Get("webhook-signature"))
	}
	for name, secret := range map[string]string{"new": newSecret, "old": oldSecret} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(body, h); err != nil {
			t.Errorf("the %s secret does not verify: %v", name, err)
		}
	}
	onlyNew, _ := Signer{}.HeadersWith([]string{newSecret}, "msg_2", at, body)
	if first, _, _ := strings.Cut(h.Get("webhook-signature"), " "); first != onlyNew.Get("webhook-signature") {
		t.Errorf("first signature %q, want the new secret's %q", first, onlyNew.Get("webhook-signature"))
	}
	wh, _ := standardwebhooks.NewWebhook(other)
	if err := wh.Verify(body, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
		t.Errorf("another secret: err %v, want no matching signature", err)
	}
	if _, err := (Signer{}).HeadersWith(nil, "msg_2", time.Now(), body); err == nil {
		t.Error("no secret signed anyway")
	}
}

func TestHeadersFormat(t *testing.T) {
	secret, _ := NewSecret()
	keys := mustKeyPair(t)
	at := time.Unix(1700000000, 999_000_000)
	h, err := Signer{Keys: &keys}.Headers(secret, "msg_x", at, []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Get("webhook-id") != "msg_x" || h.Get("webhook-timestamp") != "1700000000" {
		t.Fatalf("headers %v", h)
	}
	sig := h.Get("webhook-signature")
	if !strings.HasPrefix(sig, "v1,") || !strings.Contains(sig, " v1a,") {
		t.Fatalf("signature header %q", sig)
	}
}

func TestHeadersRejectsBadInput(t *testing.T) {
	secret, _ := NewSecret()
	for name, c := range map[string]struct {
		signer        Signer
		secret, msgID string
	}{
		"empty secret":    {Signer{}, "", "msg_1"},
		"prefix only":     {Signer{}, "whsec_", "msg_1"},
		"not base64":      {Signer{}, "whsec_!!!", "msg_1"},
		"empty id":        {Signer{}, secret, ""},
		"id with newline": {Signer{}, secret, "msg\n1"},
		"zero server key": {Signer{Keys: &KeyPair{}}, secret, "msg_1"},
	} {
		if _, err := c.signer.Headers(c.secret, c.msgID, time.Now(), nil); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func BenchmarkHeaders(b *testing.B) {
	secret, _ := NewSecret()
	keys := mustKeyPair(b)
	body := []byte(strings.Repeat("x", 1024))
	now := time.Now()
	for name, s := range map[string]Signer{"v1": {}, "v1+v1a": {Keys: &keys}} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Headers(secret, "msg_bench", now, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestV1aSignsExactlyIDDotTimestampDotBody(t *testing.T) {
	secret, _ := NewSecret()
	keys := mustKeyPair(t)
	h, err := Signer{Keys: &keys}.Headers(secret, "msg_7", time.Unix(1700000000, 0), []byte("a.b"))
	if err != nil {
		t.Fatal(err)
	}
	_, v1a, _ := strings.Cut(h.Get("webhook-signature"), " v1a,")
	sig, err := base64.StdEncoding.DecodeString(v1a)
	if err != nil {
		t.Fatal(err)
	}
	pub := keys.Private.Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, []byte("msg_7.1700000000.a.b"), sig) {
		t.Fatal("v1a does not sign msgID.timestamp.body")
	}
}
