package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// VerifyNowTimeout bounds the slowest request the API serves: checking a
// webhook's verification file now (both locations, each up to the
// receiver's request timeout). The HTTP server's write timeout exceeds it.
const VerifyNowTimeout = time.Minute

// verifyWebhook checks the verification file now and answers with the
// result: 200 and the active webhook, or 422 with a reason per location.
func (s *Server) verifyWebhook(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	if w.Status == models.WebhookActive || w.VerifiedAt != nil {
		respondTagged(c, http.StatusOK, s.webhookViews(c)(w))
		return
	}
	if s.Workflows == nil {
		abortProblem(c, http.StatusServiceUnavailable, "verification needs Temporal, which this server is not connected to")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), VerifyNowTimeout)
	defer cancel()
	res, err := s.Workflows.VerifyNow(ctx, w.ID)
	if err != nil {
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "the verification could not run now; try again shortly")
		return
	}
	if !res.Passed {
		errs := make([]FieldError, 0, len(res.Checks))
		for _, check := range res.Checks {
			errs = append(errs, FieldError{Field: "url", Reason: check})
		}
		abortProblem(c, http.StatusUnprocessableEntity,
			"the verification file "+w.VerificationFile+" was not found with the expected content", errs...)
		return
	}
	if w, ok = load[models.Webhook](c, s.Store, "webhook"); ok {
		respondTagged(c, http.StatusOK, s.webhookViews(c)(w))
	}
}

// startVerification starts the webhook's verification workflow. If
// Temporal is unreachable the webhook simply stays unverified until the
// customer asks to verify, which starts the workflow then.
func (s *Server) startVerification(c *gin.Context, webhookID string) {
	if s.Workflows != nil {
		s.callVerification(c, "start", s.Workflows.StartVerification, webhookID)
	}
}

// stopVerification ends a deleted webhook's verification workflow. If
// Temporal is unreachable the workflow ends on its own: its next check
// finds the webhook gone.
func (s *Server) stopVerification(c *gin.Context, webhookID string) {
	if s.Workflows != nil {
		s.callVerification(c, "stop", s.Workflows.StopVerification, webhookID)
	}
}

// callVerification makes one call to the verification workflow, waiting at
// most temporalCallTimeout; a failure is logged, never the customer's problem.
func (s *Server) callVerification(c *gin.Context, what string, call func(context.Context, string) error, webhookID string) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), temporalCallTimeout)
	defer cancel()
	if err := call(ctx, webhookID); err != nil {
		slog.Warn("could not "+what+" verification workflow", "account_id", accountOf(c), "webhook_id", webhookID, "error", err)
	}
}
