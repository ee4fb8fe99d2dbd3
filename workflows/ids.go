package workflows

// DeliveryWorkflowID names the one delivery workflow of an event; starting
// it twice is refused by Temporal, which makes duplicate starts harmless.
func DeliveryWorkflowID(eventID string) string { return "delivery-" + eventID }

// VerificationWorkflowID names the one verification workflow of a webhook.
func VerificationWorkflowID(webhookID string) string { return "verify-" + webhookID }

// ReconcileScheduleID names the one schedule that runs the reconciler; its
// runs' workflow ids start with it.
const ReconcileScheduleID = "hookflow-reconcile"

// PruneScheduleID names the one schedule that runs retention (Prune).
const PruneScheduleID = "hookflow-prune"
