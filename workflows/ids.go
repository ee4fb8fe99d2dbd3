package workflows

// DeliveryWorkflowID names the one delivery workflow of an event; starting
// it twice is refused by Temporal, which makes duplicate starts harmless.
func DeliveryWorkflowID(eventID string) string { return "delivery-" + eventID }

// VerificationWorkflowID names the one verification workflow of a webhook.
func VerificationWorkflowID(webhookID string) string { return "verify-" + webhookID }

// WebhookTestWorkflowID names the workflow of one test request, by the
// request's test id.
func WebhookTestWorkflowID(testID string) string { return "webhook-test-" + testID }

// WebhookCheckWorkflowID names the check of an account's webhooks: one
// runs at a time, and a check asked for meanwhile answers with its results.
func WebhookCheckWorkflowID(accountID string) string { return "webhook-check-" + accountID }

// ReconcileScheduleID names the one schedule that runs the reconciler; its
// runs' workflow ids start with it.
const ReconcileScheduleID = "hookflow-reconcile"

// RecoveryWorkflowID names the one workflow of a recovery.
func RecoveryWorkflowID(recoveryID string) string { return "recovery-" + recoveryID }

// PruneScheduleID names the one schedule that runs retention (Prune).
const PruneScheduleID = "hookflow-prune"

// DrainWorkflowID names the one drain of a webhook's held deliveries: a
// release while it runs joins it.
func DrainWorkflowID(webhookID string) string { return "webhook-drain-" + webhookID }

// ProbeWorkflowID names the one probe of a webhook hookflow disabled.
func ProbeWorkflowID(webhookID string) string { return "webhook-probe-" + webhookID }

// BatchingWorkflowID names the one batching workflow of a batched webhook:
// starting it while it runs joins the run.
func BatchingWorkflowID(webhookID string) string { return "webhook-batch-" + webhookID }
