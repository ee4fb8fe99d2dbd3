package workflows

import (
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// Custom search attributes make deliveries findable in the Temporal Web UI,
// e.g. WebhookId="wh_…" lists one webhook's deliveries.
var (
	WebhookIDKey      = temporal.NewSearchAttributeKeyKeywordList("WebhookId")
	EventTypeKey      = temporal.NewSearchAttributeKeyKeyword("EventType")
	DeliveryStatusKey = temporal.NewSearchAttributeKeyKeyword("DeliveryStatus")
)

// SearchAttributes lists the custom search attributes and their types, for
// registering them with a Temporal server.
func SearchAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		WebhookIDKey.GetName():      enums.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		EventTypeKey.GetName():      enums.INDEXED_VALUE_TYPE_KEYWORD,
		DeliveryStatusKey.GetName(): enums.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// DeliveryStatus values, as shown in the DeliveryStatus search attribute.
// A run whose first attempts all succeed never sets it: no DeliveryStatus
// means first attempts under way (ExecutionStatus Running) or succeeded
// (Completed). A run that retries sets "retrying", then "succeeded" or
// "failed".
const (
	// StatusDelivering was set at start by starters from before events were
	// matched when stored; runs so started still carry it until they end.
	StatusDelivering = "delivering"
	StatusRetrying   = "retrying"  // at least one delivery waits for a retry
	StatusSucceeded  = "succeeded" // every delivery succeeded (or there were none)
	StatusFailed     = "failed"    // at least one delivery failed for good
	StatusSkipped    = "skipped"   // the event was deleted or cannot be read: nothing was sent
)
