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
}
