package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// A recovery re-delivers a webhook's failed deliveries of a time window,
// one attempt each, at a pace the receiver can take: for a receiver that
// was down and is back. A dry run answers how many there are.

const (
	// defaultRecoveryRPS is a recovery's pace when the request sets none.
	defaultRecoveryRPS = 10.0
	// maxRecoveryRPS caps a recovery's pace: one worker sends its requests
	// one after another.
	maxRecoveryRPS = 1000.0
	// recoveryCancelWait bounds how long a cancel waits for the recovery's
	// workflow to stop (it finishes and records the attempt under way, at
	// most one request timeout).
	recoveryCancelWait = 20 * time.Second
)

type recoverInput struct {
	Since  *string  `json:"since"`
	Until  *string  `json:"until"`
	MaxRPS *float64 `json:"max_rps"`
	DryRun bool     `json:"dry_run"`
}

// recoveryPreview is a dry run's answer.
type recoveryPreview struct {
	Total int64 `json:"total"`
}

func (s *Server) routeRecoveries(v1 *gin.RouterGroup) {
	v1.POST("/webhooks/:id/recover", s.recoverWebhook)
	v1.GET("/recoveries/:id", s.getRecovery)
	v1.POST("/recoveries/:id/cancel", s.cancelRecovery)
}

// recoverWebhook starts a recovery of a webhook's failed deliveries, or
// with dry_run counts them.
func (s *Server) recoverWebhook(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	var in recoverInput
	if !decodeJSON(c, &in) {
		return
	}
	now := models.Now()
	since, until, maxRPS, errs := in.window(now)
	if errs.answered(c) {
		return
	}
	ctx := c.Request.Context()
	total, err := s.Store.CountFailedDeliveries(ctx, w.ID, since, until)
	if err != nil {
		storeError(c, err)
		return
	}
	if in.DryRun {
		c.JSON(http.StatusOK, recoveryPreview{Total: total})
		return
	}
	if w.Status != models.WebhookActive {
		abortProblem(c, http.StatusConflict, "webhook "+w.ID+" is "+string(w.Status)+": a recovery sends only to an active webhook")
		return
	}
	running, err := s.Store.RecoveryRunningFor(ctx, w.ID)
	switch {
	case err == nil:
		abortProblem(c, http.StatusConflict, "recovery "+running.ID+" of webhook "+w.ID+" is running: cancel it or wait for it to end")
		return
	case !errors.Is(err, models.ErrNotFound):
		storeError(c, err)
		return
	}
	if s.Workflows == nil {
		abortProblem(c, http.StatusServiceUnavailable, "a recovery needs Temporal, which this server is not connected to")
		return
	}
	r := models.Recovery{ID: models.NewID(models.PrefixRecovery), Owned: owned(c), WebhookID: w.ID,
		Since: since, Until: until, MaxRPS: maxRPS, Status: models.RecoveryRunning, Total: int(total)}
	if total == 0 {
		r.Status, r.CompletedAt = models.RecoveryCompleted, &now
	}
	if err := s.Store.Create(ctx, &r); err != nil {
		storeError(c, err)
		return
	}
	if r.Status == models.RecoveryRunning && !s.startRecovery(c, &r) {
		return
	}
	c.Header("Location", "/v1/recoveries/"+r.ID)
	respondContentTagged(c, http.StatusAccepted, r)
}

// window reads the request's window and pace: until defaults to now (and
// a later one is read as now), max_rps to defaultRecoveryRPS.
func (in *recoverInput) window(now time.Time) (since, until time.Time, maxRPS float64, errs fieldErrors) {
	until = now
	if in.Since == nil {
		errs.add("since", "is required: an RFC 3339 time like 2026-12-01T09:30:00Z")
	} else if t, ok := errs.rfc3339("since", *in.Since); ok {
		since = t
	}
	if in.Until != nil {
		if t, ok := errs.rfc3339("until", *in.Until); ok && t.Before(now) {
			until = t
		}
	}
	if len(errs) == 0 && !since.Before(until) {
		errs.add("since", "must be before until (or now)")
	}
	maxRPS = defaultRecoveryRPS
	if in.MaxRPS != nil {
		maxRPS = *in.MaxRPS
		if !(maxRPS > 0 && maxRPS <= maxRecoveryRPS) {
			errs.add("max_rps", fmt.Sprintf("must be more than 0 and at most %g", maxRecoveryRPS))
		}
	}
	return since, until, maxRPS, errs
}

// startRecovery starts a new recovery's workflow; if Temporal cannot, the
// recovery is recorded as failed and the answer is 503.
func (s *Server) startRecovery(c *gin.Context, r *models.Recovery) bool {
	ctx, cancel := context.WithTimeout(c.Request.Context(), temporalCallTimeout)
	defer cancel()
	err := s.Workflows.StartRecovery(ctx, r.ID)
	if err == nil {
		return true
	}
	_ = c.Error(err)
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), markTimeout)
	defer cancel()
	if _, endErr := s.Store.EndRecovery(endCtx, r.ID, models.RecoveryFailed, "could not be started: Temporal did not answer"); endErr != nil {
		slog.Warn("could not record that a recovery did not start", "recovery_id", r.ID, "error", endErr)
	}
	abortProblem(c, http.StatusServiceUnavailable, "the recovery could not be started now; try again shortly")
	return false
}

func (s *Server) getRecovery(c *gin.Context) {
	r, ok := load[models.Recovery](c, s.Store, "recovery")
	if ok {
		respondContentTagged(c, http.StatusOK, r)
	}
}

// cancelRecovery stops a running recovery: from the moment it answers,
// nothing more is sent (it waits, a little, for the attempt under way).
// Cancelling a cancelled recovery answers it again; one that has ended
// otherwise is 409.
func (s *Server) cancelRecovery(c *gin.Context) {
	r, ok := load[models.Recovery](c, s.Store, "recovery")
	if !ok {
		return
	}
	ctx := c.Request.Context()
	if r.Status == models.RecoveryRunning {
		if _, err := s.Store.EndRecovery(ctx, r.ID, models.RecoveryCancelled, ""); err != nil {
			storeError(c, err)
			return
		}
		if s.Workflows != nil {
			waitCtx, cancel := context.WithTimeout(ctx, recoveryCancelWait)
			defer cancel()
			if err := s.Workflows.CancelRecovery(waitCtx, r.ID); err != nil {
				// Cancelled in the database, it claims nothing more; the
				// attempt under way, if any, ends on its own.
				slog.Warn("could not wait for a cancelled recovery to stop", "recovery_id", r.ID, "error", err)
			}
		}
		if r, ok = load[models.Recovery](c, s.Store, "recovery"); !ok {
			return
		}
	}
	if r.Status != models.RecoveryCancelled {
		abortProblem(c, http.StatusConflict, "recovery "+r.ID+" has ended: "+string(r.Status))
		return
	}
	respondContentTagged(c, http.StatusOK, r)
}
