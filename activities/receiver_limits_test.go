package activities

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// A receiver that answers one byte a second, or never stops sending, holds
// an attempt no longer than the request timeout (2 s here): the client's
// timeout covers the whole answer and reading stops at the response cap
// (the margin is for recording the attempt).
func TestSlowAndEndlessReceiversAreCutOff(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	const timeout = 2 * time.Second
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, n int)
		status models.DeliveryStatus
	}{
		{"headers a byte a second", func(w http.ResponseWriter, _ int) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") {
				if _, err := buf.Write([]byte{b}); err != nil || buf.Flush() != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}, models.DeliveryPending},
		{"body a byte a second", func(w http.ResponseWriter, _ int) {
			w.WriteHeader(http.StatusOK)
			for range 30 {
				if _, err := w.Write([]byte("x")); err != nil || http.NewResponseController(w).Flush() != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}, models.DeliverySucceeded}, // the status came in time: it decides
		{"endless body", func(w http.ResponseWriter, _ int) {
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte("y"), 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, models.DeliverySucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := newReceiver(t, c.answer)
			w := createWebhook(t, a, rc.URL)
			e := createEvent(t, a, f, models.EventOpen)
			started := time.Now()
			if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
				t.Fatal(err)
			}
			took := time.Since(started)
			d := deliveryOf(t, a, e.ID, w.ID)
			att := attemptsOf(t, a, d.ID)
			if took > timeout+2*time.Second || d.Status != c.status || len(att) != 1 || len(att[0].ResponseExcerpt) > excerptBytes {
				t.Errorf("attempt took %v (timeout %v), delivery %s, attempts %+v; want cut off in time, %s, an excerpt of at most %d bytes",
					took, timeout, d.Status, att, c.status, excerptBytes)
			}
		})
	}
}
