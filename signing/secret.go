package signing

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// secretPrefix marks endpoint secrets; the official libraries strip it
// before base64-decoding the key.
const secretPrefix = "whsec_"

// secretBytes is the key length: 24 bytes (192 bits) is what the Standard
// Webhooks reference implementations generate, within the spec's 24-64 range.
const secretBytes = 24

// NewSecret returns a fresh webhook secret "whsec_" + base64(24 random
// bytes), the format the official libraries accept.
func NewSecret() (string, error) {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("signing: generate secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key), nil
}
