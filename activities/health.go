package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/models"
)

// disableReason says why a receiver's answer disables its webhook: "HTTP
// 410 Gone at 2026-12-02T01:02:03Z", or the header that asked for it.
func (r response) disableReason(at time.Time) string {
	answer := fmt.Sprintf("HTTP %d %s", r.StatusCode, http.StatusText(r.StatusCode))
	if r.StatusCode != http.StatusGone {
		answer += " with " + DeliveryControlHeader + ": disable"
	}
	return answer + " at " + at.UTC().Format(time.RFC3339)
}

// disableByHookflow disables an active webhook on hookflow's own account
// (its receiver asked for it, or kept failing) and starts probing it. A
// webhook no longer active (its owner paused or disabled it, or another
// attempt disabled it first) is left as it is.
func (a *Activities) disableByHookflow(ctx context.Context, w *models.Webhook, reason string) error {
	moved, err := a.Store.TransitionWebhook(ctx, w.ID, models.DisableWebhookByHookflow(reason))
	if err != nil || !moved {
		return err
	}
	logger(ctx).Warn("Webhook disabled by hookflow; its deliveries are held until a probe succeeds",
		"account_id", w.AccountID, "webhook_id", w.ID, "reason", reason)
	if a.Runs != nil {
		if err := a.Runs.StartProbe(ctx, w.ID); err != nil {
			// The reconciler starts probes that are missing.
			logger(ctx).Warn("Could not start the webhook's probe; the reconciler will", "webhook_id", w.ID, "error", err)
		}
	}
	return nil
}

// disableIfFailingTooLong disables a webhook whose failed attempt at at
// finds it failing, with no success, for longer than DisableAfter. It
// reports whether the webhook is disabled now.
func (a *Activities) disableIfFailingTooLong(ctx context.Context, w *models.Webhook, at time.Time) (bool, error) {
	current, err := models.Get[models.Webhook](ctx, a.Store, w.ID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	after := a.settings().DisableAfter
	if current.FailingSince == nil || at.Sub(*current.FailingSince) < after {
		return false, nil
	}
	reason := "no successful delivery since " + current.FailingSince.UTC().Format(time.RFC3339) + " (disabled after " + after.String() + " of failures)"
	if err := a.disableByHookflow(ctx, current, reason); err != nil {
		return false, err
	}
	return true, nil
}
