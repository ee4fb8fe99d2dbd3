package telemetry

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/models"
)

const (
	// backlogCacheFor is how long one read of the backlog answers
	// scrapes: however often and by how many it is scraped, the database
	// is asked at most this often.
	backlogCacheFor = 15 * time.Second
	// backlogReadTimeout bounds one read.
	backlogReadTimeout = 5 * time.Second
)

// Backlog is a collector of what waits to be delivered, read from the
// database (models.Store.Backlog, a few index reads) at most every 15 s.
// Every process that runs it reports the same numbers: aggregate with max.
type Backlog struct {
	store    *models.Store
	cacheFor time.Duration

	unsettled, undispatched, pending, oldest *prometheus.Desc

	mu     sync.Mutex
	readAt time.Time
	last   models.Backlog
	err    error
}

// NewBacklog returns the backlog collector of store; register it.
func NewBacklog(store *models.Store) *Backlog {
	limit := " (counted up to " + strconv.Itoa(models.BacklogCountLimit) + ")"
	return &Backlog{
		store:    store,
		cacheFor: backlogCacheFor,
		unsettled: prometheus.NewDesc("hookflow_events_unsettled",
			"Accepted events whose deliveries have not all finished: not started yet, or retrying"+limit+".", nil, nil),
		undispatched: prometheus.NewDesc("hookflow_events_undispatched",
			"Accepted events whose delivery workflow has not been started yet (Temporal unreachable, or the sweeper not there yet)"+limit+".", nil, nil),
		pending: prometheus.NewDesc("hookflow_deliveries_pending",
			"Deliveries waiting for their next attempt"+limit+".", nil, nil),
		oldest: prometheus.NewDesc("hookflow_oldest_unsettled_event_age_seconds",
			"Age of the oldest accepted event whose deliveries have not all finished; 0 when there is none.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (b *Backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.unsettled
	ch <- b.undispatched
	ch <- b.pending
	ch <- b.oldest
}

// Collect implements prometheus.Collector. While the database cannot be
// read the backlog's metrics are left out and the error is reported.
func (b *Backlog) Collect(ch chan<- prometheus.Metric) {
	backlog, err := b.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(b.unsettled, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(b.unsettled, prometheus.GaugeValue, float64(backlog.UnsettledEvents))
	ch <- prometheus.MustNewConstMetric(b.undispatched, prometheus.GaugeValue, float64(backlog.UndispatchedEvents))
	ch <- prometheus.MustNewConstMetric(b.pending, prometheus.GaugeValue, float64(backlog.PendingDeliveries))
	age := 0.0
	if !backlog.OldestUnsettled.IsZero() {
		age = max(time.Since(backlog.OldestUnsettled).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(b.oldest, prometheus.GaugeValue, age)
}

// read returns the last read of the backlog, reading it again once it is
// older than backlogCacheFor. Concurrent scrapes wait for one read.
func (b *Backlog) read() (models.Backlog, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.readAt.IsZero() && time.Since(b.readAt) < b.cacheFor {
		return b.last, b.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), backlogReadTimeout)
	defer cancel()
	b.last, b.err = b.store.Backlog(ctx)
	b.readAt = time.Now()
	return b.last, b.err
}
