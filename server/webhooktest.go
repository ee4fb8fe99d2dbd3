package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// The testing tool sends one signed sample event to a webhook now; Check
// now tests every active webhook of the account, and whether each refuses
// forged signatures. Both are sent by the worker, which owns signing and
// egress, through a short workflow the API waits for (at most
// VerifyNowTimeout).

type webhookTestInput struct {
	EventType *models.EventType `json:"event_type"`
}

// webhookChecks is Check now's answer: one result per active webhook it
// checked, and how many active webhooks it left out (past
// activities.MaxCheckedWebhooks).
type webhookChecks struct {
	Results    []activities.WebhookCheck `json:"results"`
	NotChecked int                       `json:"not_checked"`
}

// testWebhook sends a sample event of the requested type (default: the
// first the webhook subscribes to) and answers what was sent and how the
// receiver answered. Nothing is sent to an unverified webhook (409).
func (s *Server) testWebhook(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	var in webhookTestInput
	if !decodeOptionalJSON(c, &in) {
		return
	}
	eventType := w.TestEventType()
	if in.EventType != nil {
		if !in.EventType.Valid() {
			invalid(c, FieldError{Field: "event_type", Reason: "unknown event type; known: " + eventTypeList()})
			return
		}
		eventType = *in.EventType
	}
	if !w.Verified() {
		abortProblem(c, http.StatusConflict, "webhook "+w.ID+" is "+string(w.Status)+": "+models.ErrWebhookUnverified.Error())
		return
	}
	if s.Workflows == nil {
		abortProblem(c, http.StatusServiceUnavailable, "testing a webhook needs Temporal, which this server is not connected to")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), VerifyNowTimeout)
	defer cancel()
	res, err := s.Workflows.TestWebhook(ctx, activities.WebhookTestInput{
		AccountID: w.AccountID, WebhookID: w.ID, TestID: models.NewID(models.PrefixTest), EventType: eventType,
	})
	switch {
	case errors.Is(err, models.ErrNotFound): // deleted meanwhile
		notFound(c, "webhook", w.ID)
	case errors.Is(err, models.ErrWebhookUnverified): // its URL changed meanwhile
		abortProblem(c, http.StatusConflict, "webhook "+w.ID+" is no longer verified: "+models.ErrWebhookUnverified.Error())
	case err != nil:
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "the test could not run now; try again shortly")
	default:
		c.JSON(http.StatusOK, res)
	}
}

// checkWebhooks tests the active webhooks of the account (the first
// activities.MaxCheckedWebhooks) and answers one result per webhook. An
// account without active webhooks is answered at once, without Temporal.
func (s *Server) checkWebhooks(c *gin.Context) {
	active, err := s.Store.CountActiveWebhooks(c.Request.Context(), accountOf(c))
	if err != nil {
		storeError(c, err)
		return
	}
	if active == 0 {
		c.JSON(http.StatusOK, webhookChecks{Results: []activities.WebhookCheck{}})
		return
	}
	if s.Workflows == nil {
		abortProblem(c, http.StatusServiceUnavailable, "checking webhooks needs Temporal, which this server is not connected to")
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), VerifyNowTimeout)
	defer cancel()
	res, err := s.Workflows.CheckWebhooks(ctx, accountOf(c))
	if err != nil {
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "the check could not run now; try again shortly")
		return
	}
	if res == nil {
		res = []activities.WebhookCheck{} // the webhooks stopped being active meanwhile
	}
	c.JSON(http.StatusOK, webhookChecks{Results: res, NotChecked: max(0, active-activities.MaxCheckedWebhooks)})
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: no
// body (or only whitespace) leaves v as it is.
func decodeOptionalJSON(c *gin.Context, v any) bool {
	body, ok := readBody(c)
	if !ok {
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return decodeJSON(c, v)
}
