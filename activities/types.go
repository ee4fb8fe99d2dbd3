package activities

import "time"

// FirstAttemptsResult tells the delivery workflow what is left to do after
// the first attempt at every matching webhook.
type FirstAttemptsResult struct {
	// WebhookIDs are the webhooks the event goes to (for search attributes).
	WebhookIDs []string
	// Pending are the deliveries whose first attempt failed retryably (or
	// that wait, unsent, for their paused webhook to be resumed).
	Pending []PendingDelivery
	// Failed counts deliveries that failed for good on the first attempt.
	Failed int
	// Succeeded counts deliveries whose first attempt succeeded.
	Succeeded int
	// Skipped says why the event was not delivered at all: it was deleted,
	// or it cannot be read. Nothing was sent; the rest is empty.
	Skipped string `json:",omitempty"`
	// RetryWindow and RequestTimeout are the worker's settings the
	// workflow needs for the retries; recorded with this result, they keep
	// its replays deterministic.
	RetryWindow    time.Duration `json:",omitempty"`
	RequestTimeout time.Duration `json:",omitempty"`
}

// PendingDelivery is a delivery that needs durable retries.
type PendingDelivery struct {
	DeliveryID string
	WebhookID  string
	// RetryAfter is how long to wait before the next attempt: the receiver's
	// Retry-After within bounds, or the backoff for the attempt count.
	RetryAfter time.Duration
}

// VerificationResult is the outcome of one ownership check of a webhook.
type VerificationResult struct {
	Passed bool
	// Checks holds one line per location tried, like
	// "GET https://host/dir/hookflow-….txt: 404".
	Checks []string
}
