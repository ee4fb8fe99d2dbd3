package console

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/models"
)

// The Manage page's chart: deliveries an hour over the last day as bars,
// and the average lag (received to delivered) of each hour as a line,
// drawn as inline SVG from the webhook's recent deliveries.

const (
	chartWindow  = 24 * time.Hour
	chartBuckets = 24
	// chartSample bounds the deliveries read for the chart (one page of the API's list).
	chartSample = 200
	chartWidth  = 480
	chartHeight = 120
)

type chart struct {
	Label   string
	Width   int
	Height  int
	Bars    []chartBar
	LagLine string // SVG polyline points; empty without lag
	// LagPoints mark each hour's average lag (a single hour draws no line).
	LagPoints []chartPoint
	MaxLag    string
	Max       int
}

type chartPoint struct{ X, Y int }

type chartBar struct {
	X, Y, W, H int
	Title      string
}

func newChart(deliveries []models.Delivery, since, now time.Time) chart {
	step := chartWindow / chartBuckets
	counts := make([]int, chartBuckets)
	lagSum := make([]time.Duration, chartBuckets)
	lagN := make([]int, chartBuckets)
	total := 0
	for _, d := range deliveries {
		i := int(d.CreatedAt.Sub(since) / step)
		if i < 0 || i >= chartBuckets {
			continue
		}
		counts[i]++
		total++
		if d.Status == models.DeliverySucceeded && d.CompletedAt != nil {
			lagSum[i] += d.CompletedAt.Sub(d.CreatedAt)
			lagN[i]++
		}
	}
	ch := chart{Width: chartWidth, Height: chartHeight}
	for _, n := range counts {
		ch.Max = max(ch.Max, n)
	}
	var maxLag time.Duration
	for i := range lagSum {
		if lagN[i] > 0 {
			maxLag = max(maxLag, lagSum[i]/time.Duration(lagN[i]))
		}
	}
	barWidth := chartWidth / chartBuckets
	for i, n := range counts {
		h := 0
		if ch.Max > 0 {
			h = n * (chartHeight - 10) / ch.Max
		}
		start := since.Add(time.Duration(i) * step)
		ch.Bars = append(ch.Bars, chartBar{X: i * barWidth, Y: chartHeight - h, W: barWidth - 2, H: h,
			Title: fmt.Sprintf("%s: %d deliveries", start.Format("15:04 UTC"), n)})
		if lagN[i] > 0 && maxLag > 0 {
			lag := lagSum[i] / time.Duration(lagN[i])
			y := chartHeight - int(float64(chartHeight-10)*float64(lag)/float64(maxLag))
			x := i*barWidth + barWidth/2
			ch.LagLine += strconv.Itoa(x) + "," + strconv.Itoa(y) + " "
			ch.LagPoints = append(ch.LagPoints, chartPoint{x, y})
		}
	}
	ch.MaxLag = maxLag.Round(time.Millisecond).String()
	ch.Label = fmt.Sprintf("Deliveries and lag over the last 24 hours: %d deliveries (of the latest %d), at most %d in an hour; longest average lag in an hour %s",
		total, chartSample, ch.Max, ch.MaxLag)
	return ch
}

func itoa(n int) string { return strconv.Itoa(n) }
