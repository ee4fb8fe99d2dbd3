package activities

import (
	"errors"
	"net/url"

	"github.com/hookflow/hookflow/models"
)

// Application error types the workflows can tell apart.
const (
	// ErrorTypeWebhookNotFound: the webhook was deleted. Non-retryable.
	ErrorTypeWebhookNotFound = "WebhookNotFound"
	// ErrorTypeEventNotFound: the event was deleted. Non-retryable.
	ErrorTypeEventNotFound = "EventNotFound"
	// ErrorTypeDeliveryNotFound: the delivery was deleted. Non-retryable.
	ErrorTypeDeliveryNotFound = "DeliveryNotFound"
	// ErrorTypeDeliveryFailed: the delivery failed for good (a permanent
	// answer such as 404, or a webhook that no longer takes events). Non-retryable.
	ErrorTypeDeliveryFailed = "DeliveryFailed"
	// ErrorTypeDeliveryHeld: the delivery's webhook is paused or disabled;
	// the delivery is held, unsent and not failed, until it is active
	// again. Non-retryable: releasing it is the drain's business.
	ErrorTypeDeliveryHeld = "DeliveryHeld"
	// ErrorTypeAttemptFailed: the attempt failed but a later one may succeed;
	// the error carries the delay before the next attempt as NextRetryDelay.
	ErrorTypeAttemptFailed = "AttemptFailed"
	// ErrorTypeEventUnreadable: the event cannot be read or rendered (e.g.
	// its data nests too deep); the delivery failed for good. Non-retryable.
	ErrorTypeEventUnreadable = "EventUnreadable"
	// ErrorTypeUnreadable: a stored value needed by the step cannot be
	// decoded. Non-retryable.
	ErrorTypeUnreadable = "Unreadable"
	// ErrorTypeWebhookUnverified: the webhook's URL is not verified, so
	// nothing is sent to it. Non-retryable.
	ErrorTypeWebhookUnverified = "WebhookUnverified"
	// ErrorTypeUnknownEventType: a test asked for an event type hookflow
	// does not know. Non-retryable.
	ErrorTypeUnknownEventType = "UnknownEventType"
	// ErrorTypeTestFailed: a test request could not be built. Non-retryable.
	ErrorTypeTestFailed = "TestFailed"
	// ErrorTypeUnavailable: a dependency (the database, ...) failed; the
	// step is retried without limit after NextRetryDelay.
	ErrorTypeUnavailable = "DependencyUnavailable"
)

// describeError is an error as a receiver's owner wants to read it: the
// URL error's cause without the repeated method and URL.
func describeError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return models.FitText(err.Error(), errorTextBytes)
}
