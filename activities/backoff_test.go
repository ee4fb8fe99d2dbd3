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
	s := (&Activities{}).settings()
	for attempts := 1; attempts <= 40; attempts++ {
		ceiling := min(DefaultFirstRetryDelay<<min(attempts-1, 20), DefaultMaxRetryDelay)
		for range 20 {
			if d := s.retryBackoff(attempts); d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempts, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestRetryDelayHonoursRetryAfterWithinBounds(t *testing.T) {
	s := (&Activities{}).settings()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for header, want := range map[string]time.Duration{
		"7":     7 * time.Second,
		" 7 ":   7 * time.Second,
		"0":     minRetryAfter,
		"86400": DefaultMaxRetryDelay,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       minRetryAfter,
		now.Add(9 * time.Hour).Format(http.TimeFormat):    DefaultMaxRetryDelay,
	} {
		if got := s.retryDelay(header, 1, now); got != want {
			t.Errorf("retryDelay(%q) = %v, want %v", header, got, want)
		}
	}
	if got := s.retryDelay("soon", 3, now); got < 10*time.Second || got > 20*time.Second {
		t.Errorf("unparseable Retry-After gave %v, want the backoff for attempt 3", got)
	}
}

// The backoff bounds are the worker's settings.
func TestRetryDelayFollowsTheWorkersSettings(t *testing.T) {
	s := (&Activities{Settings: Settings{FirstRetryDelay: time.Second, MaxRetryDelay: 4 * time.Second}}).settings()
	now := time.Now()
	if got := s.retryDelay("60", 1, now); got != 4*time.Second {
		t.Errorf("Retry-After 60 gave %v, want the 4s cap", got)
	}
	for attempts, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 4 * time.Second} {
		if got := s.retryDelay("", attempts, now); got < ceiling/2 || got > ceiling {
			t.Errorf("backoff after attempt %d = %v, want within [%v, %v]", attempts, got, ceiling/2, ceiling)
		}
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
