package console

import (
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

func TestChartCountsDeliveriesAndLagByHour(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	since := now.Add(-chartWindow)
	at := func(hoursAgo float64, status models.DeliveryStatus, lag time.Duration) models.Delivery {
		created := now.Add(-time.Duration(hoursAgo * float64(time.Hour)))
		done := created.Add(lag)
		return models.Delivery{CreatedAt: created, Status: status, CompletedAt: &done}
	}
	ch := newChart([]models.Delivery{
		at(0.5, models.DeliverySucceeded, time.Second),   // last hour
		at(0.6, models.DeliverySucceeded, 3*time.Second), // last hour: average lag 2 s
		at(0.7, models.DeliveryFailed, time.Hour),        // counted, no lag
		at(5.5, models.DeliverySucceeded, 4*time.Second), // the longest average lag
		at(30, models.DeliverySucceeded, time.Second),    // before the window
	}, since, now)

	if len(ch.Bars) != chartBuckets {
		t.Fatalf("%d bars; want %d", len(ch.Bars), chartBuckets)
	}
	last, fifth := ch.Bars[chartBuckets-1], ch.Bars[chartBuckets-6]
	if ch.Max != 3 || last.H != chartHeight-10 || fifth.H != (chartHeight-10)/3 || ch.Bars[0].H != 0 {
		t.Fatalf("max %d, heights last %d, 6th last %d, first %d", ch.Max, last.H, fifth.H, ch.Bars[0].H)
	}
	if !strings.Contains(last.Title, "3 deliveries") {
		t.Errorf("last bar's title %q", last.Title)
	}
	if ch.MaxLag != "4s" || len(strings.Fields(ch.LagLine)) != 2 || len(ch.LagPoints) != 2 {
		t.Errorf("max lag %s, lag line %q; want 4s over two hours", ch.MaxLag, ch.LagLine)
	}
	if !strings.HasPrefix(ch.Label, "Deliveries and lag over the last 24 hours: 4 deliveries") {
		t.Errorf("label %q", ch.Label)
	}
}
