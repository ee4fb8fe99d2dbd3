package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkEventToDelivery measures the whole path of an event: accepted by
// the API, stored, delivered by a workflow on a real Temporal server, signed
// and verified by the receiver. One op is one event delivered to one webhook.
func BenchmarkEventToDelivery(b *testing.B) {
	s := startSystem(b)
	message := s.sendMessage(map[string]any{"email": "bench@example.com"}, map[string]any{})
	rc := newReceiver(b)
	rc.arrived = make(chan receivedRequest, b.N+1)
	s.registerWebhook(rc, "delivery")

	b.ResetTimer()
	start := time.Now()
	// Events arrive concurrently, as they do from many mail servers.
	jobs := make(chan struct{}, b.N)
	for range b.N {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range jobs {
				s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, nil)
			}
		})
	}
	wg.Wait()
	for range b.N {
		rc.next()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
