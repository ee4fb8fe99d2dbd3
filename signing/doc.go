// Package signing signs outgoing webhook requests per the Standard Webhooks
// spec (https://www.standardwebhooks.com).
//
// Every request carries webhook-id, webhook-timestamp and webhook-signature.
// The signature header lists a "v1," HMAC-SHA256 entry made with the
// endpoint's own secret (computed by the official library, so receivers
// using any official library verify it) and, when the server has a signing
// key, a "v1a," ed25519 entry over the same content, which receivers can
// check with the public key from GET /v1/signing-keys without sharing a
// secret.
package signing
