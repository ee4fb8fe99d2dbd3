package signing

import (
	"fmt"

	"github.com/hookflow/hookflow/keyfile"
)

// LoadOrCreateKeyPair reads the key from path (the file holds
// SecretKeyString), or generates one and stores it if the file is missing.
// An invalid file is an error, never overwritten: replacing a key would
// silently break every receiver that pinned the old public key.
func LoadOrCreateKeyPair(path string) (KeyPair, error) {
	secret, _, err := keyfile.LoadOrCreate(path, func() (string, error) {
		k, err := GenerateKeyPair()
		return k.SecretKeyString(), err
	})
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing: key file %s: %w", path, err)
	}
	k, err := ParseSecretKey(secret)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing: key file %s: %w", path, err)
	}
	return k, nil
}
