package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Prefixes follow the Standard Webhooks naming for asymmetric keys, so a
// key string says what it is when pasted into config or docs.
const (
	publicKeyPrefix = "whpk_"
	secretKeyPrefix = "whsk_"
	keyIDPrefix     = "key_"
)

// KeyPair is hookflow's server-wide ed25519 signing key for v1a.
type KeyPair struct {
	ID      string
	Private ed25519.PrivateKey
}

// GenerateKeyPair creates a new random signing key.
func GenerateKeyPair() (KeyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing: generate key pair: %w", err)
	}
	return KeyPair{ID: keyID(pub), Private: priv}, nil
}

// PublicKeyString returns "whpk_" + base64 of the 32-byte public key, or ""
// for a KeyPair that holds no valid key.
func (k KeyPair) PublicKeyString() string {
	if len(k.Private) != ed25519.PrivateKeySize {
		return ""
	}
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(k.Private.Public().(ed25519.PublicKey))
}

// SecretKeyString returns "whsk_" + base64 of the 64-byte private key, the
// form kept in the key file or an environment variable.
func (k KeyPair) SecretKeyString() string {
	return secretKeyPrefix + base64.StdEncoding.EncodeToString(k.Private)
}

// ParseSecretKey is the inverse of SecretKeyString. Surrounding whitespace
// is ignored because the value usually comes from a file or env var.
func ParseSecretKey(s string) (KeyPair, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, secretKeyPrefix) {
		return KeyPair{}, fmt.Errorf("signing: secret key must start with %q", secretKeyPrefix)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, secretKeyPrefix))
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing: decode secret key: %w", err)
	}
	if len(raw) != ed25519.PrivateKeySize {
		return KeyPair{}, fmt.Errorf("signing: secret key is %d bytes, want %d", len(raw), ed25519.PrivateKeySize)
	}
	priv := ed25519.PrivateKey(raw)
	// The second half of an ed25519 private key is the public key; if it was
	// corrupted we would publish one key and sign with another.
	if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed()), priv) {
		return KeyPair{}, errors.New("signing: secret key is inconsistent (public half does not match seed)")
	}
	return KeyPair{ID: keyID(priv.Public().(ed25519.PublicKey)), Private: priv}, nil
}

// keyID derives the key's ID from its public key, so the same key always
// gets the same ID after a reload and no ID has to be stored.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return keyIDPrefix + hex.EncodeToString(sum[:8])
}
