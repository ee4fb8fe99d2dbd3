package server

import (
	"context"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// Workflows starts and talks to the Temporal workflows behind the API
// (deliveries, verifications, tests of webhooks); workflows.Starter
// implements it.
type Workflows interface {
	StartDelivery(ctx context.Context, e *models.Event) error
	StartVerification(ctx context.Context, webhookID string) error
	VerifyNow(ctx context.Context, webhookID string) (activities.VerificationResult, error)
	StopVerification(ctx context.Context, webhookID string) error
	TestWebhook(ctx context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error)
	CheckWebhooks(ctx context.Context, accountID string) ([]activities.WebhookCheck, error)

	// DeliverySchedule asks the workflow retrying a delivery where it
	// stands; nil when it is not retrying it.
	DeliverySchedule(ctx context.Context, eventID, deliveryID string) (*models.DeliverySchedule, error)
	// ResendDelivery has a reopened delivery delivered again now; d is as
	// read before it was reopened.
	ResendDelivery(ctx context.Context, d *models.Delivery) error
	// ReleaseHeld has a webhook that is active again deliver what it held,
	// in event order.
	ReleaseHeld(ctx context.Context, webhookID string) error
	// StartBatching starts a batched webhook's batching workflow, unless
	// one runs.
	StartBatching(ctx context.Context, webhookID string) error
	// LookAgain tells the probe of a webhook hookflow disabled that its
	// owner changed it, so it looks at once whether to go on.
	LookAgain(ctx context.Context, webhookID string) error
	// StartRecovery starts a stored recovery's workflow.
	StartRecovery(ctx context.Context, recoveryID string) error
	// CancelRecovery cancels a recovery's workflow and waits, until ctx
	// ends, for it to stop.
	CancelRecovery(ctx context.Context, recoveryID string) error
}
