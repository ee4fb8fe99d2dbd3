package signing

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseSecretKeyRoundTrips(t *testing.T) {
	k := mustKeyPair(t)
	got, err := ParseSecretKey(k.SecretKeyString() + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || !got.Private.Equal(k.Private) {
		t.Fatalf("round trip changed the key: %+v vs %+v", got.ID, k.ID)
	}
	if !strings.HasPrefix(k.ID, "key_") || !strings.HasPrefix(k.PublicKeyString(), "whpk_") {
		t.Fatalf("id %q public %q", k.ID, k.PublicKeyString())
	}
}

func TestParseSecretKeyRejectsBadInput(t *testing.T) {
	k := mustKeyPair(t)
	corrupt := []byte(k.SecretKeyString())
	corrupt[len(corrupt)-3] ^= 1 // flip a bit in the public half
	for _, s := range []string{
		"",
		"whsk_",
		"whsk_!!!",
		"whsk_AAAA",
		strings.TrimPrefix(k.SecretKeyString(), "whsk_"),
		string(corrupt),
	} {
		if _, err := ParseSecretKey(s); err == nil {
			t.Errorf("ParseSecretKey(%q) succeeded", s)
		}
	}
}

func TestPublicKeyJSON(t *testing.T) {
	k := mustKeyPair(t)
	b, err := json.Marshal(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + k.ID + `","algorithm":"ed25519","public_key":"` + k.PublicKeyString() + `"}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
}

func mustKeyPair(t testing.TB) KeyPair {
	t.Helper()
	k, err := GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
