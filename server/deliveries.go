package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// The delivery log: what was sent where, when, and how it went.

// deliveryDetail is a delivery with every attempt.
type deliveryDetail struct {
	*models.Delivery
	AttemptLog []models.DeliveryAttempt `json:"attempt_log"`
}

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
			errs.add("status", `must be "pending", "succeeded" or "failed"`)
		}
		filters = append(filters, models.Where("status = ?", st))
	}
	if e := models.EventType(c.Query("event_type")); e != "" {
		if !e.Valid() {
			errs.add("event_type", "unknown event type; known: "+eventTypeList())
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
	respondContentTagged(c, http.StatusOK, deliveryDetail{Delivery: d, AttemptLog: orEmptyList(attempts)})
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
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		errs.add(name, "must be an RFC 3339 time like 2026-12-01T09:30:00Z")
		return time.Time{}, false
	}
	return t.UTC(), true
}
