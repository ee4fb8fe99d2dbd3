package activities

import (
	"time"

	"github.com/hookflow/hookflow/models"
)

// FirstAttemptsResult tells the delivery workflow what is left to do after
// the first attempt at every matching webhook.
type FirstAttemptsResult struct {
	// WebhookIDs are the webhooks the event goes to (for search attributes).
	WebhookIDs []string
	// Pending are the deliveries whose first attempt failed retryably.
	Pending []PendingDelivery
	// Failed counts deliveries that failed for good on the first attempt.
	Failed int
	// Held counts deliveries held, unsent, for a paused or disabled webhook.
	Held int `json:",omitempty"`
	// Succeeded counts deliveries whose first attempt succeeded.
	Succeeded int
	// Skipped says why the event was not delivered at all: it was deleted,
	// or it cannot be read. Nothing was sent; the rest is empty.
	Skipped string `json:",omitempty"`
	// RetrySettings are the worker's settings the workflow needs for the
	// retries; recorded with this result, they keep its replays
	// deterministic. (Their fields are this result's own in JSON, as
	// RetryWindow and RequestTimeout were before the rest joined them.)
	RetrySettings
}

// RetrySettings are the worker's settings that shape a delivery's retries,
// as the delivery workflow needs them.
type RetrySettings struct {
	RetryWindow    time.Duration `json:",omitempty"`
	RequestTimeout time.Duration `json:",omitempty"`
	// FirstRetryDelay and MaxRetryDelay are the backoff schedule; zero in
	// results recorded before they were.
	FirstRetryDelay time.Duration `json:",omitempty"`
	MaxRetryDelay   time.Duration `json:",omitempty"`
}

// PendingDelivery is a delivery that needs durable retries.
type PendingDelivery struct {
	DeliveryID string
	WebhookID  string
	// RetryAfter is how long to wait before the next attempt: the receiver's
	// Retry-After within bounds, or the backoff for the attempt count.
	RetryAfter time.Duration
	// NextAttemptAt is when the next attempt is due, as the delivery's row
	// says; nil when the attempt was made by an earlier run.
	NextAttemptAt *time.Time `json:",omitempty"`
	// Attempts counts the delivery's attempts so far.
	Attempts int `json:",omitempty"`
}

// AttemptRequest asks AttemptDelivery for the next attempt of a delivery.
type AttemptRequest struct {
	DeliveryID string
	// PriorAttempts were made before this series of retries began (a
	// resend starts a new one): the backoff counts from the first attempt
	// after them.
	PriorAttempts int `json:",omitempty"`
}

// AttemptResult is where one attempt left its delivery.
type AttemptResult struct {
	// Status is the delivery's status after the attempt: succeeded, failed
	// for good, still pending, or held (its webhook is paused or disabled:
	// no attempt was made, and the retry series ends without failing it).
	Status models.DeliveryStatus
	// Attempts counts the delivery's attempts so far.
	Attempts int
	// NextAttemptAt is when the next attempt is due, while pending: the
	// time recorded in the delivery's row.
	NextAttemptAt *time.Time `json:",omitempty"`
	// Reason says why the delivery has not succeeded, e.g. "attempt 2: HTTP 503".
	Reason string `json:",omitempty"`
}

// RecoveryProgress is where one run of RecoverDeliveries left a recovery.
type RecoveryProgress struct {
	// Finished is true once the recovery has ended: completed, cancelled,
	// or stopped (its webhook no longer takes events).
	Finished bool
	// Done counts the deliveries it has re-delivered so far, in all runs.
	Done int
}

// VerificationResult is the outcome of one ownership check of a webhook.
type VerificationResult struct {
	Passed bool
	// Checks holds one line per location tried, like
	// "GET https://host/dir/hookflow-….txt: 404".
	Checks []string
}
