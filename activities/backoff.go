package activities

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the delay after a delivery's attempts-th failed attempt:
// exponential from firstRetryDelay, doubling up to maxRetryDelay, with
// equal jitter (half fixed, half random) so receivers that failed together
// are not retried together, yet no retry comes sooner than half the step.
func backoff(attempts int) time.Duration {
	ceiling := firstRetryDelay
	for n := 1; n < attempts && ceiling < maxRetryDelay; n++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, maxRetryDelay)
	half := ceiling / 2
	return half + rand.N(half+1)
}

// retryDelay is how long to wait before the next attempt: the receiver's
// Retry-After within [minRetryAfter, maxRetryAfter] when it sent a usable
// one, else the backoff for the attempt count.
func retryDelay(retryAfter string, attempts int, now time.Time) time.Duration {
	if d, ok := parseRetryAfter(retryAfter, now); ok {
		return min(max(d, minRetryAfter), maxRetryAfter)
	}
	return backoff(attempts)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return at.Sub(now), true
	}
	return 0, false
}
