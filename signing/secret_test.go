package signing

import (
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

func TestNewSecretIsAcceptedByTheLibrary(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+32 {
		t.Fatalf("secret %q: want whsec_ + 32 base64 chars", a)
	}
	if _, err := standardwebhooks.NewWebhook(a); err != nil {
		t.Fatalf("library rejects %q: %v", a, err)
	}
	b, _ := NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
}
