package activities

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	for attempts := 1; attempts <= 40; attempts++ {
		ceiling := min(firstRetryDelay<<min(attempts-1, 20), maxRetryDelay)
		for range 20 {
			if d := backoff(attempts); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempts, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestRetryDelayHonoursRetryAfterWithinBounds(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for header, want := range map[string]time.Duration{
		"7":     7 * time.Second,
		" 7 ":   7 * time.Second,
		"0":     minRetryAfter,
		"86400": maxRetryAfter,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       minRetryAfter,
	} {
		if got := retryDelay(header, 1, now); got != want {
			t.Errorf("retryDelay(%q) = %v, want %v", header, got, want)
		}
	}
	if got := retryDelay("soon", 3, now); got < 10*time.Second || got > 20*time.Second {
		t.Errorf("unparseable Retry-After gave %v, want the backoff for attempt 3", got)
	}
}

func TestClassify(t *testing.T) {
	refused := fmt.Errorf("dial: %w", netpolicy.ErrForbiddenAddress)
	redirect := fmt.Errorf("redirect: %w", netpolicy.ErrRedirectRefused)
	for _, tc := range []struct {
		r    response
		want models.DeliveryStatus
	}{
		{response{StatusCode: 200}, models.DeliverySucceeded},
		{response{StatusCode: 204}, models.DeliverySucceeded},
		{response{StatusCode: 301}, models.DeliveryFailed},
		{response{StatusCode: 400}, models.DeliveryFailed},
		{response{StatusCode: 404}, models.DeliveryFailed},
		{response{StatusCode: 410}, models.DeliveryFailed},
		{response{StatusCode: 408}, models.DeliveryPending},
		{response{StatusCode: 429}, models.DeliveryPending},
		{response{StatusCode: 500}, models.DeliveryPending},
		{response{StatusCode: 503}, models.DeliveryPending},
		{response{Err: errors.New("connection refused")}, models.DeliveryPending},
		{response{Err: refused}, models.DeliveryFailed},
		{response{StatusCode: 302, Err: redirect}, models.DeliveryFailed},
	} {
		if got := classify(tc.r); got != tc.want {
			t.Errorf("classify(%d, %v) = %s, want %s", tc.r.StatusCode, tc.r.Err, got, tc.want)
		}
	}
}
