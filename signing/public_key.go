package signing

// AlgorithmEd25519 is the only algorithm hookflow publishes keys for.
const AlgorithmEd25519 = "ed25519"

// PublicKey describes a key for GET /v1/signing-keys, so receivers can
// fetch what they need to verify v1a signatures.
type PublicKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"public_key"`
}

// Public returns the publishable description of k.
func (k KeyPair) Public() PublicKey {
	return PublicKey{ID: k.ID, Algorithm: AlgorithmEd25519, PublicKey: k.PublicKeyString()}
}
