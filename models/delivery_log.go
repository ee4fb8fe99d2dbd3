package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Attempts returns a delivery's attempts in order.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error) {
	var out []DeliveryAttempt
	err := s.db.WithContext(ctx).Where("delivery_id = ?", deliveryID).Order("number").Find(&out).Error
	return out, err
}

// EventDeliveries returns an event's deliveries in creation order.
func (s *Store) EventDeliveries(ctx context.Context, eventID string) ([]Delivery, error) {
	var out []Delivery
	err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&out).Error
	return out, err
}

// Percentiles summarises a distribution in milliseconds.
type Percentiles struct {
	P50 int64 `json:"p50"`
	P95 int64 `json:"p95"`
	P99 int64 `json:"p99"`
}

// percentilesOf is nil for no values; else the nearest-rank percentiles.
func percentilesOf(values []int64) *Percentiles {
	if len(values) == 0 {
		return nil
	}
	slices.Sort(values)
	rank := func(p float64) int64 {
		i := int(p*float64(len(values))+0.999999) - 1
		return values[max(0, min(i, len(values)-1))]
	}
	return &Percentiles{P50: rank(0.50), P95: rank(0.95), P99: rank(0.99)}
}

// WebhookStats is how a webhook's deliveries went since a time.
type WebhookStats struct {
	Since    time.Time `json:"since"`
	Attempts int64     `json:"attempts"`
	// Deliveries counts the deliveries made since, by status now.
	Deliveries map[DeliveryStatus]int64 `json:"deliveries"`
	// SuccessRate is succeeded / (succeeded + failed); null when none finished.
	SuccessRate      *float64     `json:"success_rate"`
	AttemptLatencyMS *Percentiles `json:"attempt_latency_ms"`
	// LagMS is from receiving the event to the receiver's 2xx, over the
	// deliveries that succeeded.
	LagMS *Percentiles `json:"lag_ms"`
	// Backlog counts every delivery still waiting, however old.
	Backlog int64 `json:"backlog"`
	// OldestUndeliveredAgeS is the age of the oldest waiting delivery, in seconds.
	OldestUndeliveredAgeS *float64 `json:"oldest_undelivered_age_s"`
}

// statsSampleLimit bounds how many attempts and deliveries a percentile reads.
const statsSampleLimit = 100_000

// StatsOfWebhook measures a webhook's deliveries since a time. Time ranges
// are id ranges (ids sort by creation time), so every query is an indexed
// range on both dialects.
func (s *Store) StatsOfWebhook(ctx context.Context, webhookID string, since, now time.Time) (WebhookStats, error) {
	db := s.db.WithContext(ctx)
	st := WebhookStats{Since: since, Deliveries: map[DeliveryStatus]int64{DeliveryPending: 0, DeliverySucceeded: 0, DeliveryFailed: 0, DeliveryHeld: 0}}
	var byStatus []struct {
		Status DeliveryStatus
		N      int64
	}
	err := db.Model(&Delivery{}).Select("status, COUNT(*) AS n").
		Where("webhook_id = ? AND id >= ?", webhookID, FirstIDAt(PrefixDelivery, since)).
		Group("status").Scan(&byStatus).Error
	if err != nil {
		return st, err
	}
	for _, row := range byStatus {
		st.Deliveries[row.Status] = row.N
	}
	if done := st.Deliveries[DeliverySucceeded] + st.Deliveries[DeliveryFailed]; done > 0 {
		rate := float64(st.Deliveries[DeliverySucceeded]) / float64(done)
		st.SuccessRate = &rate
	}

	var latencies []int64
	err = db.Table("delivery_attempts").Joins("JOIN deliveries ON deliveries.id = delivery_attempts.delivery_id").
		Where("deliveries.webhook_id = ? AND delivery_attempts.id >= ?", webhookID, FirstIDAt(PrefixAttempt, since)).
		Order("delivery_attempts.id DESC").Limit(statsSampleLimit).Pluck("delivery_attempts.latency_millis", &latencies).Error
	if err != nil {
		return st, err
	}
	// The sample is every attempt unless it hit the limit; only then count them all.
	st.Attempts = int64(len(latencies))
	if len(latencies) == statsSampleLimit {
		if err := db.Table("delivery_attempts").Joins("JOIN deliveries ON deliveries.id = delivery_attempts.delivery_id").
			Where("deliveries.webhook_id = ? AND delivery_attempts.id >= ?", webhookID, FirstIDAt(PrefixAttempt, since)).
			Count(&st.Attempts).Error; err != nil {
			return st, err
		}
	}
	st.AttemptLatencyMS = percentilesOf(latencies)

	var finished []struct {
		ReceivedAt  time.Time
		CompletedAt time.Time
	}
	err = db.Table("deliveries").Select("events.received_at, deliveries.completed_at").
		Joins("JOIN events ON events.id = deliveries.event_id").
		Where("deliveries.webhook_id = ? AND deliveries.status = ? AND deliveries.id >= ?", webhookID, DeliverySucceeded, FirstIDAt(PrefixDelivery, since)).
		Order("deliveries.id DESC").Limit(statsSampleLimit).Scan(&finished).Error
	if err != nil {
		return st, err
	}
	lags := make([]int64, 0, len(finished))
	for _, f := range finished {
		lags = append(lags, max(0, f.CompletedAt.Sub(f.ReceivedAt).Milliseconds()))
	}
	st.LagMS = percentilesOf(lags)

	var backlog struct {
		N      int64
		Oldest *string
	}
	err = db.Model(&Delivery{}).Select("COUNT(*) AS n, MIN(id) AS oldest").
		Where("webhook_id = ? AND status = ?", webhookID, DeliveryPending).Scan(&backlog).Error
	if err != nil {
		return st, err
	}
	st.Backlog = backlog.N
	if backlog.Oldest != nil {
		if created, ok := timeOfID(*backlog.Oldest); ok {
			age := now.Sub(created).Seconds()
			st.OldestUndeliveredAgeS = &age
		}
	}
	return st, nil
}

// timeOfID is when an id was made.
func timeOfID(id string) (time.Time, bool) {
	_, raw, ok := strings.Cut(id, "_")
	if !ok {
		return time.Time{}, false
	}
	u, err := ulid.ParseStrict(strings.ToUpper(raw))
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(u.Time()).UTC(), true
}
