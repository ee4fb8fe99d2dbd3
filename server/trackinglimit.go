package server

import (
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookflow/hookflow/ratelimit"
)

// Defaults of the tracking rate limit.
const (
	defaultTrackingRate  = 20  // hits a second, on average
	defaultTrackingBurst = 100 // hits at once
)

// trackingLimit keeps a flood of opens or clicks, from one client or on one
// message, from filling the database and starting a workflow per hit. Hits
// over it are still answered (a mail client must never break) but not
// recorded.
type trackingLimit struct {
	byClient, byMessage *ratelimit.Keyed
	over                *prometheus.CounterVec
}

func newTrackingLimit(perSecond float64, burst int, over *prometheus.CounterVec) *trackingLimit {
	if perSecond <= 0 {
		perSecond = defaultTrackingRate
	}
	if burst <= 0 {
		burst = defaultTrackingBurst
	}
	return &trackingLimit{byClient: ratelimit.New(perSecond, burst), byMessage: ratelimit.New(perSecond, burst), over: over}
}

// allow reports whether a hit from clientIP on the message is recorded,
// and counts it when it is not.
func (l *trackingLimit) allow(clientIP, messageID string) bool {
	now := time.Now()
	if !l.byClient.Allow(clientKey(clientIP), now) {
		l.over.WithLabelValues("client_ip").Inc()
		return false
	}
	if !l.byMessage.Allow(messageID, now) {
		l.over.WithLabelValues("message").Inc()
		return false
	}
	return true
}

// clientKey is what a client is limited by: its IPv4 address, or the /64
// network of its IPv6 address, since one host commonly has a whole /64.
func clientKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is6() {
		prefix, _ := addr.WithZone("").Prefix(64)
		return prefix.String()
	}
	return addr.String()
}
