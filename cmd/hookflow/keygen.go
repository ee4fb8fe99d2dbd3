package main

import (
	"fmt"
	"io"

	"github.com/hookflow/hookflow/signing"
)

// runKeygen prints a fresh ed25519 signing key for HOOKFLOW_SIGNING_KEY
// and its public half, which receivers use to verify v1a signatures.
func runKeygen(out io.Writer) error {
	k, err := signing.GenerateKeyPair()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "HOOKFLOW_SIGNING_KEY=%s\nHOOKFLOW_RECEIVER_PUBLIC_KEY=%s\n", k.SecretKeyString(), k.PublicKeyString())
	return err
}
