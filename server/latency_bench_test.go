package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// BenchmarkOpenPixelTemporalDown serves the open pixel over a real
// listener while Temporal is down: the server's workflow starter points at
// a port nobody listens on, so every start the dispatcher tries waits out
// its timeout. It reports the latency percentiles a mail client sees.
//
//	go test ./server/ -run '^$' -bench OpenPixelTemporalDown -benchtime 3000x
func BenchmarkOpenPixelTemporalDown(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	deadAddr := ln.Addr().String()
	ln.Close() // nothing listens there now: Temporal is down
	tc, err := client.NewLazyClient(client.Options{HostPort: deadAddr, Logger: discardLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()

	var store *models.Store
	h := newServer(b, keepStore(&store), withTrackingKey(trackingKey), withTrackingLimit(1e9, 1e9), // record every hit
		withWorkflows(workflows.Starter{Client: tc, TaskQueue: "bench"}))
	a := createAudience(b, h)
	open := trackingPath(b, createMessage(b, h, a.Profile, a.Subprofile).str("open_url"))
	srv := httptest.NewServer(h)
	defer srv.Close()
	hc := srv.Client()

	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		resp, err := hc.Get(srv.URL + open)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("pixel answered %d", resp.StatusCode)
		}
		latencies = append(latencies, time.Since(began))
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(float64(len(latencies))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
	if n := len(storedEvents(b, store, "type = ?", models.EventOpen)); n < b.N {
		b.Errorf("%d opens stored for %d hits", n, b.N)
	}
}

// discardLogger keeps the Temporal client's connection errors out of the
// benchmark's output.
type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}

// BenchmarkEventBatch stores batches of 1,000 delivery events, each for
// its own message, as the mail system sends them.
//
//	go test ./server/ -run '^$' -bench EventBatch -benchtime 5x
func BenchmarkEventBatch(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var store *models.Store
	h := newServer(b, keepStore(&store))
	a := createAudience(b, h)
	msgs := make([]string, 1000)
	for i := range msgs {
		msgs[i] = createMessage(b, h, a.Profile, a.Subprofile).str("id")
	}
	b.ResetTimer()
	for n := range b.N {
		events := make([]map[string]any, len(msgs))
		for i, m := range msgs {
			events[i] = map[string]any{"id": fmt.Sprintf("bench-%d-%d", n, i), "type": "delivery", "message_id": m}
		}
		r := do(b, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": events})
		if r.Code != http.StatusAccepted {
			b.Fatalf("batch answered %d: %.300s", r.Code, r.Raw)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
}
