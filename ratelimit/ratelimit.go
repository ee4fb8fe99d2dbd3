// Package ratelimit keeps a token bucket (golang.org/x/time/rate) per key,
// such as a client IP, and forgets the buckets that have refilled: a full
// bucket is the same as a new one, so memory follows the keys active in
// the last few seconds, never every key ever seen.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed limits each key to a rate with a burst.
type Keyed struct {
	limit   rate.Limit
	burst   int
	refill  time.Duration // how long an empty bucket takes to fill up
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	pruneAt time.Time
}

// New allows each key perSecond events a second on average and burst at
// once. perSecond must be positive and burst at least 1.
func New(perSecond float64, burst int) *Keyed {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &Keyed{
		limit:   rate.Limit(perSecond),
		burst:   burst,
		refill:  max(refill, time.Second),
		buckets: map[string]*rate.Limiter{},
	}
}

// Allow takes a token from key's bucket at now, reporting whether there
// was one.
func (k *Keyed) Allow(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !now.Before(k.pruneAt) {
		k.prune(now)
	}
	b, ok := k.buckets[key]
	if !ok {
		b = rate.NewLimiter(k.limit, k.burst)
		k.buckets[key] = b
	}
	return b.AllowN(now, 1)
}

// prune forgets the full buckets; it runs once per refill time, so the
// buckets kept are those used within the last two.
func (k *Keyed) prune(now time.Time) {
	for key, b := range k.buckets {
		if b.TokensAt(now) >= float64(k.burst) {
			delete(k.buckets, key)
		}
	}
	k.pruneAt = now.Add(k.refill)
}

// Len is how many buckets are kept now.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
