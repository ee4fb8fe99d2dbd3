package activities

import (
	"cmp"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the delay after the attempts-th failure: exponential from
// first, doubling up to most, with equal jitter (half fixed, half random)
// so what failed together is not retried together, yet no retry comes
// sooner than half the step.
func backoff(attempts int, first, most time.Duration) time.Duration {
	half := backoffCeiling(attempts, first, most) / 2
	return half + rand.N(half+1)
}

// backoffCeiling is the longest backoff after the attempts-th failure.
func backoffCeiling(attempts int, first, most time.Duration) time.Duration {
	ceiling := first
	for n := 1; n < attempts && ceiling < most; n++ {
		ceiling *= 2
	}
	return min(ceiling, most)
}

// retryBackoff is the delay after a delivery's attempts-th failed attempt.
func (s Settings) retryBackoff(attempts int) time.Duration {
	return backoff(attempts, s.FirstRetryDelay, s.MaxRetryDelay)
}

// AttemptsLeft counts the attempts a delivery still gets before deadline
// when the next one is due at next and failed attempts made so far in
// its series of retries: each later one comes after the longest
// backoff of its step, so at least this many are made unless a receiver
// asks, with Retry-After, for longer waits. Zero delays are the defaults.
func (r RetrySettings) AttemptsLeft(failed int, next, deadline time.Time) int {
	first := cmp.Or(r.FirstRetryDelay, DefaultFirstRetryDelay)
	most := max(cmp.Or(r.MaxRetryDelay, DefaultMaxRetryDelay), first)
	left := 0
	for at := next; at.Before(deadline); at = at.Add(backoffCeiling(failed, first, most)) {
		left++
		failed++
	}
	return left
}

// retryDelay is how long to wait before the next attempt: the receiver's
// Retry-After within [minRetryAfter, MaxRetryDelay] when it sent a usable
// one, else the backoff for the attempt count.
func (s Settings) retryDelay(retryAfter string, attempts int, now time.Time) time.Duration {
	if d, ok := parseRetryAfter(retryAfter, now, s.MaxRetryDelay); ok {
		return min(max(d, minRetryAfter), s.MaxRetryDelay)
	}
	return s.retryBackoff(attempts)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. Longer delays than most are read as most.
func parseRetryAfter(v string, now time.Time, most time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(most/time.Second) {
			return most, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return at.Sub(now), true
	}
	return 0, false
}
