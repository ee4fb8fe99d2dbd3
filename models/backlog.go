package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// BacklogCountLimit bounds each count of the backlog: reading it costs at
// most that many index entries a count, however far behind deliveries are.
const BacklogCountLimit = 1_000_000

// Backlog is what waits to be delivered.
type Backlog struct {
	// UnsettledEvents have deliveries still to finish: their workflow has
	// not started or made its first attempts yet, or some retry.
	UnsettledEvents int64
	// UndispatchedEvents have no delivery workflow yet (Temporal was
	// unreachable, or the sweeper has yet to start them).
	UndispatchedEvents int64
	// PendingDeliveries wait for their next attempt.
	PendingDeliveries int64
	// OldestUnsettled is when the oldest unsettled event was received;
	// zero when none is.
	OldestUnsettled time.Time
}

// Backlog reads the backlog, each part through an index.
func (s *Store) Backlog(ctx context.Context) (Backlog, error) {
	var b Backlog
	db := s.db.WithContext(ctx)
	counts := []struct {
		into  *int64
		query *gorm.DB
	}{
		{&b.UnsettledEvents, db.Model(&Event{}).Where("settled_at IS NULL")},
		{&b.UndispatchedEvents, db.Model(&Event{}).Where("dispatched_at IS NULL")},
		{&b.PendingDeliveries, db.Model(&Delivery{}).Where("status = ?", DeliveryPending)},
	}
	for _, c := range counts {
		capped := c.query.Select("1").Limit(BacklogCountLimit)
		if err := db.Table("(?) AS capped", capped).Count(c.into).Error; err != nil {
			return Backlog{}, err
		}
	}
	var oldest []Event
	err := db.Select("id", "received_at").Where("settled_at IS NULL").Order("id").Limit(1).Find(&oldest).Error
	if err != nil {
		return Backlog{}, err
	}
	if len(oldest) > 0 {
		b.OldestUnsettled = oldest[0].ReceivedAt
	}
	return b, nil
}
