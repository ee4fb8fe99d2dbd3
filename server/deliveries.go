package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// The delivery log: what was sent where, when, and how it went.

// deliveryDetail is a delivery with every attempt and, while it is
// pending, where its workflow has it.
type deliveryDetail struct {
	*models.Delivery
	// Live says that next_attempt_at, attempts_left and
	// retry_window_ends_at come from the workflow retrying the delivery,
	// asked now; else next_attempt_at is as last stored and the others
	// are null.
	Live              bool                     `json:"live"`
	AttemptsLeft      *int                     `json:"attempts_left"`
	RetryWindowEndsAt *time.Time               `json:"retry_window_ends_at"`
	AttemptLog        []models.DeliveryAttempt `json:"attempt_log"`
	// Events are a batch delivery's events, in the order its body lists
	// them; left out for a single event's delivery.
	Events []string `json:"events,omitempty"`
}

// liveStateTimeout bounds asking a pending delivery's workflow where it
// stands; past it the stored next_attempt_at answers.
const liveStateTimeout = time.Second

// eventDetail is an event with the payload its webhooks get and its deliveries.
type eventDetail struct {
	*models.Event
	Payload    models.Fields     `json:"payload"`
	Deliveries []models.Delivery `json:"deliveries"`
}

// defaultStatsWindow is how far back stats look without ?since=.
const defaultStatsWindow = 24 * time.Hour

func (s *Server) routeDeliveries(v1 *gin.RouterGroup) {
	v1.GET("/webhooks/:id/deliveries", s.listWebhookDeliveries)
	v1.GET("/webhooks/:id/stats", s.webhookStats)
	v1.GET("/deliveries/:id", s.getDelivery)
	v1.POST("/deliveries/:id/resend", s.resendDelivery)
	v1.GET("/events/:id", s.getEvent)
}

// listWebhookDeliveries answers a webhook's deliveries, newest first.
func (s *Server) listWebhookDeliveries(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	var errs fieldErrors
	filters := []models.Filter{models.Where("webhook_id = ?", w.ID)}
	if st := models.DeliveryStatus(c.Query("status")); st != "" {
		if !st.Valid() {
			errs.add("status", `must be "pending", "succeeded", "failed" or "held"`)
		}
		filters = append(filters, models.Where("status = ?", st))
	}
	if e := models.EventType(c.Query("event_type")); e != "" {
		if !e.Valid() && e != models.EventBatch { // "batch" finds the batch deliveries
			errs.add("event_type", "unknown event type; known: "+eventTypeList()+", or batch")
		}
		filters = append(filters, models.Where("event_type = ?", e))
	}
	if since, ok := timeQuery(c, &errs, "since"); ok {
		filters = append(filters, models.Where("id >= ?", models.FirstIDAt(models.PrefixDelivery, since)))
	}
	if until, ok := timeQuery(c, &errs, "until"); ok {
		filters = append(filters, models.Where("id < ?", models.FirstIDAt(models.PrefixDelivery, until)))
	}
	if len(errs) > 0 {
		abortProblem(c, http.StatusBadRequest, "invalid query parameter", errs...)
		return
	}
	respondNewestFirst(c, filters, same[models.Delivery], s.Store)
}

func (s *Server) getDelivery(c *gin.Context) {
	d, ok := load[models.Delivery](c, s.Store, "delivery")
	if !ok {
		return
	}
	attempts, err := s.Store.Attempts(c.Request.Context(), d.ID)
	if err != nil {
		storeError(c, err)
		return
	}
	detail := deliveryDetail{Delivery: d, AttemptLog: orEmptyList(attempts)}
	if d.IsBatch() {
		if detail.Events, err = s.Store.BatchEventIDs(c.Request.Context(), d.ID); err != nil {
			storeError(c, err)
			return
		}
		detail.Events = orEmptyList(detail.Events)
	}
	if d.Status == models.DeliveryPending {
		s.addLiveState(c.Request.Context(), &detail)
	}
	respondContentTagged(c, http.StatusOK, detail)
}

// addLiveState asks the workflow retrying a pending delivery when its next
// attempt is due. A workflow that does not answer in time, or is not
// retrying it (the reconciler is about to start it again, say), leaves
// the stored state.
func (s *Server) addLiveState(ctx context.Context, detail *deliveryDetail) {
	if s.Workflows == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, liveStateTimeout)
	defer cancel()
	schedule, err := s.Workflows.DeliverySchedule(ctx, detail.EventID, detail.ID)
	if err != nil || schedule == nil {
		if err != nil {
			slog.Debug("no live state of a pending delivery; answering the stored one", "delivery_id", detail.ID, "error", err)
		}
		return
	}
	detail.Live = true
	detail.NextAttemptAt = &schedule.NextAttemptAt
	detail.AttemptsLeft = &schedule.AttemptsLeft
	detail.RetryWindowEndsAt = &schedule.RetryWindowEndsAt
}

// resendDelivery delivers a finished delivery again, now: its event's
// stored payload to its webhook, with the same webhook-id, its attempts
// numbered after the earlier ones, retried within a retry window of its
// own. A pending delivery is being delivered: 409.
func (s *Server) resendDelivery(c *gin.Context) {
	d, ok := load[models.Delivery](c, s.Store, "delivery")
	if !ok {
		return
	}
	if s.Workflows == nil {
		abortProblem(c, http.StatusServiceUnavailable, "resending needs Temporal, which this server is not connected to")
		return
	}
	ctx := c.Request.Context()
	reopened, err := s.Store.ReopenDelivery(ctx, d, models.DeliverySucceeded, models.DeliveryFailed)
	if err != nil {
		storeError(c, err)
		return
	}
	if !reopened {
		abortProblem(c, http.StatusConflict, "delivery "+d.ID+" is pending: it is being delivered; resend it once it has succeeded or failed")
		return
	}
	startCtx, cancel := context.WithTimeout(ctx, temporalCallTimeout)
	defer cancel()
	if err := s.Workflows.ResendDelivery(startCtx, d); err != nil {
		// Reopened, it is not lost: its event is unsettled, and the
		// reconciler delivers it once Temporal answers again.
		slog.Warn("could not start the resend of a delivery; the reconciler will deliver it", "delivery_id", d.ID, "error", err)
	}
	if d, ok = load[models.Delivery](c, s.Store, "delivery"); ok {
		c.JSON(http.StatusAccepted, d)
	}
}

func (s *Server) getEvent(c *gin.Context) {
	e, ok := load[models.Event](c, s.Store, "event")
	if !ok {
		return
	}
	deliveries, err := s.Store.EventDeliveries(c.Request.Context(), e.ID)
	if err != nil {
		storeError(c, err)
		return
	}
	respondContentTagged(c, http.StatusOK, eventDetail{Event: e, Payload: e.Payload, Deliveries: orEmptyList(deliveries)})
}

func (s *Server) webhookStats(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	now := time.Now().UTC()
	var errs fieldErrors
	since, given := timeQuery(c, &errs, "since")
	if len(errs) > 0 {
		abortProblem(c, http.StatusBadRequest, "invalid query parameter", errs...)
		return
	}
	if !given {
		since = now.Add(-defaultStatsWindow)
	}
	st, err := s.Store.StatsOfWebhook(c.Request.Context(), w.ID, since, now)
	if err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// timeQuery reads an RFC 3339 time from the query; ok is false when absent or bad.
func timeQuery(c *gin.Context, errs *fieldErrors, name string) (time.Time, bool) {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}, false
	}
	return errs.rfc3339(name, raw)
}
