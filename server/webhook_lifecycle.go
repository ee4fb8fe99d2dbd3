package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// The owner's moves in a webhook's life cycle, each a route of its own:
// POST /v1/webhooks/{id}/pause, /resume and /enable. (PATCH status=… makes
// the same moves with other changes.)
func (s *Server) routeWebhookLifecycle(v1 *gin.RouterGroup) {
	v1.POST("/webhooks/:id/pause", s.moveWebhook(func(models.WebhookStatus) models.WebhookTransition { return models.PauseWebhook() }))
	v1.POST("/webhooks/:id/resume", s.moveWebhook(func(models.WebhookStatus) models.WebhookTransition { return models.ResumeWebhook() }))
	v1.POST("/webhooks/:id/enable", s.moveWebhook(func(models.WebhookStatus) models.WebhookTransition { return models.EnableWebhook() }))
}

// errMoveRefused is a move the webhook's status does not allow; its text
// says why.
type errMoveRefused struct{ reason string }

func (e errMoveRefused) Error() string { return e.reason }

// moveWebhook answers a route that moves a webhook by the transition its
// status calls for, honouring If-Match as PATCH does: the webhook as the
// move left it, with its ETag, or 409 saying why the move is not allowed.
// A webhook that becomes active releases what it held.
func (s *Server) moveWebhook(transition func(models.WebhookStatus) models.WebhookTransition) gin.HandlerFunc {
	return func(c *gin.Context) {
		current, pre, ok := loadForWrite[models.Webhook](c, s.Store, "webhook")
		if !ok {
			return
		}
		var from models.WebhookStatus
		w, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
			func(_ *models.Store, w *models.Webhook) (models.Change, error) {
				t := transition(w.Status)
				if err := refusal(t, w.Status); err != nil {
					return models.Change{}, err
				}
				from = w.Status
				return models.WebhookEdit{Transition: &t}.Change(), nil
			}, nil)
		var refused errMoveRefused
		if errors.As(err, &refused) {
			abortProblem(c, http.StatusConflict, "webhook "+current.ID+": "+refused.reason)
			return
		}
		if err != nil {
			writeFailed(c, "webhook", current.ID, err)
			return
		}
		s.movedWebhook(c, w, from)
		respondTagged(c, http.StatusOK, s.webhookViews(c)(w))
	}
}

// refusal says why t may not start from status, or nil when it may.
func refusal(t models.WebhookTransition, status models.WebhookStatus) error {
	switch {
	case t.Allows(status):
		return nil
	case status == t.To:
		return errMoveRefused{"the webhook is " + string(status) + " already"}
	case status == models.WebhookUnverified || status == models.WebhookVerificationFailed:
		return errMoveRefused{"the webhook's URL is not verified yet; verify it first"}
	}
	return errMoveRefused{"a " + string(status) + " webhook cannot " + t.Name}
}

// movedWebhook does what follows an owner's move of a webhook from status
// from: a probe of it (if hookflow had disabled it) looks at once whether
// to go on, and one that is active now releases its held deliveries. A
// failure to reach Temporal is logged, not the owner's problem: the probe
// looks at its next turn, the reconciler releases what is held.
func (s *Server) movedWebhook(c *gin.Context, w *models.Webhook, from models.WebhookStatus) {
	if s.Workflows == nil || w.Status == from {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), temporalCallTimeout)
	defer cancel()
	if from == models.WebhookDisabled {
		if err := s.Workflows.LookAgain(ctx, w.ID); err != nil {
			slog.Warn("could not tell the webhook's probe it changed", "account_id", w.AccountID, "webhook_id", w.ID, "error", err)
		}
	}
	if w.Status == models.WebhookActive {
		if from == models.WebhookDisabled {
			s.announceRecovered(ctx, w)
		}
		if err := s.Workflows.ReleaseHeld(ctx, w.ID); err != nil {
			slog.Warn("could not release the webhook's held deliveries; the reconciler will", "account_id", w.AccountID, "webhook_id", w.ID, "error", err)
		}
		if w.Batched() {
			s.startBatching(c, w)
		}
	}
}

// startBatching starts the batching workflow of a batched webhook, unless
// one runs. A failure is logged: the events wait in the outbox, and the
// reconciler starts the workflow later.
func (s *Server) startBatching(c *gin.Context, w *models.Webhook) {
	if s.Workflows == nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), temporalCallTimeout)
	defer cancel()
	if err := s.Workflows.StartBatching(ctx, w.ID); err != nil {
		slog.Warn("could not start the webhook's batching; the reconciler will", "account_id", w.AccountID, "webhook_id", w.ID, "error", err)
	}
}

// announceRecovered emits webhook.recovered for a webhook its owner
// enabled, saying how many deliveries it held (the drain releases them
// next), to the account's webhooks that subscribe. A failure is logged:
// the owner's move stands.
func (s *Server) announceRecovered(ctx context.Context, w *models.Webhook) {
	subscribed, err := s.Store.AnyWebhookSubscribes(ctx, w.AccountID, models.EventWebhookRecovered)
	if err != nil || !subscribed {
		if err != nil {
			slog.Warn("could not announce the webhook's recovery", "account_id", w.AccountID, "webhook_id", w.ID, "error", err)
		}
		return
	}
	held, err := s.Store.CountHeldDeliveries(ctx, w.ID)
	if err == nil {
		var e *models.Event
		if e, err = s.Store.StoreOperationalEvent(ctx, models.WebhookRecoveredEvent(w, int(held), w.UpdatedAt)); err == nil && e.DispatchedAt == nil {
			s.dispatch(e)
		}
	}
	if err != nil {
		slog.Warn("could not announce the webhook's recovery", "account_id", w.AccountID, "webhook_id", w.ID, "error", err)
	}
}
