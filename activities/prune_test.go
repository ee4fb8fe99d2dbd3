package activities

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// Retention deletes what was delivered before the worker's Retention and
// expired Idempotency-Key records, counts them, and keeps the rest.
func TestPruneExpiredDeletesWhatWasDeliveredLongAgo(t *testing.T) {
	a := newActivities(t)
	a.Settings.Retention = time.Hour
	a.Metrics = NewMetrics(prometheus.NewRegistry())
	f := createAudience(t, a)
	createWebhook(t, a, newReceiver(t, answering(http.StatusOK, http.StatusServiceUnavailable)).URL)
	delivered := createEvent(t, a, f, models.EventOpen)
	pending := createEvent(t, a, f, models.EventOpen)
	for _, e := range []*models.Event{delivered, pending} {
		if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Both as if two hours old: one delivered, the other still retrying.
	ctx := t.Context()
	twoHoursAgo := models.Now().Add(-2 * time.Hour)
	for _, e := range []*models.Event{delivered, pending} {
		d := deliveryOfEvent(t, a, e.ID)
		oldID := modelstest.IDAt(models.PrefixDelivery, twoHoursAgo)
		oldEvent := modelstest.IDAt(models.PrefixEvent, twoHoursAgo)
		for _, q := range []struct {
			table, column, from, to string
		}{
			{"delivery_attempts", "delivery_id", d.ID, oldID},
			{"deliveries", "id", d.ID, oldID},
			{"deliveries", "event_id", e.ID, oldEvent},
			{"events", "id", e.ID, oldEvent},
		} {
			if err := a.Store.DB(ctx).Table(q.table).Where(q.column+" = ?", q.from).Update(q.column, q.to).Error; err != nil {
				t.Fatal(err)
			}
		}
		e.ID = oldEvent
	}
	rec, _, err := a.Store.BeginIdempotentRequest(ctx, models.DefaultAccountID, "old-key", "hash")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DB(ctx).Model(rec).Update("created_at", models.Now().Add(-2*models.IdempotencyWindow)).Error; err != nil {
		t.Fatal(err)
	}

	res, err := a.PruneExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := PruneResult{Deliveries: 1, Attempts: 1, Events: 1, IdempotencyKeys: 1, Done: true}
	if res != want {
		t.Errorf("pruned %+v, want %+v", res, want)
	}
	if _, err := models.Get[models.Event](ctx, a.Store, delivered.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the delivered event is still there: %v", err)
	}
	if _, err := models.Get[models.Event](ctx, a.Store, pending.ID); err != nil {
		t.Errorf("the event still retrying was pruned: %v", err)
	}
	for table, n := range map[string]float64{"deliveries": 1, "delivery_attempts": 1, "events": 1, "idempotent_requests": 1} {
		if got := testutil.ToFloat64(a.Metrics.pruned.WithLabelValues(table)); got != n {
			t.Errorf("hookflow_pruned_rows_total{table=%q} = %v, want %v", table, got, n)
		}
	}
	if res, err := a.PruneExpired(ctx); err != nil || res != (PruneResult{Done: true}) {
		t.Errorf("a second run pruned %+v, %v; want nothing", res, err)
	}
}

func deliveryOfEvent(t *testing.T, a *Activities, eventID string) models.Delivery {
	t.Helper()
	var d models.Delivery
	if err := a.Store.DB(t.Context()).Where("event_id = ?", eventID).Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	return d
}
