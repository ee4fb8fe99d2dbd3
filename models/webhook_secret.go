package models

import "time"

// MaxSecretGrace caps how long a rotated-out secret keeps signing.
const MaxSecretGrace = 7 * 24 * time.Hour

// DefaultSecretGrace is how long it does when the owner does not say.
const DefaultSecretGrace = 24 * time.Hour

// RotateSecret is the change that makes newSecret the secret of w, as
// read: w's secret keeps signing, after the new one, until at+grace (a
// zero grace drops it at once; a secret still in an earlier grace period
// is dropped). It applies only while the secret is still the one read, so
// of two rotations at once one starts over from the other's result.
func RotateSecret(w *Webhook, newSecret string, grace time.Duration, at time.Time) Change {
	c := Change{}.Set("secret", newSecret).Where("secret = ?", w.Secret)
	if grace <= 0 {
		return c.Set("previous_secret", "").Set("previous_secret_expires_at", nil)
	}
	return c.Set("previous_secret", w.Secret).Set("previous_secret_expires_at", at.Add(grace))
}
