package activities

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/models"
)

// logger is the activity's logger, or the default one when a method is
// called outside Temporal (tests, tools), where activity.GetLogger panics.
func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}

// deliveryAttrs name a delivery and what it belongs to, as every log line
// about one does (the attribute names are hookflow's everywhere).
func deliveryAttrs(d *models.Delivery, more ...any) []any {
	return append([]any{"account_id", d.AccountID, "event_id", d.EventID, "delivery_id", d.ID, "webhook_id", d.WebhookID}, more...)
}
