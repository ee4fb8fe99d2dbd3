package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/signing"
)

// The references send what hookflow sends: a JSON event of about the same
// size, signed the same way (v1 with the endpoint's secret and v1a with
// the server key), so only what sits between ingest and the POST differs.

// referenceRequest is one event of a reference run: a signed POST to each
// endpoint, as hookflow makes one to each matching webhook.
type referenceRequest struct {
	EventID   string
	Endpoints []referenceEndpoint
}

type referenceEndpoint struct{ URL, Secret string }

// poster makes the references' signed POSTs.
type poster struct {
	signer signing.Signer
	http   *http.Client
}

// Post sends the event to every endpoint, one after the other.
func (p *poster) Post(ctx context.Context, r referenceRequest) error {
	for _, e := range r.Endpoints {
		if err := p.postTo(ctx, e, r.EventID); err != nil {
			return err
		}
	}
	return nil
}

func (p *poster) postTo(ctx context.Context, e referenceEndpoint, eventID string) error {
	body, err := json.Marshal(map[string]any{
		"type": "delivery", "id": eventID, "occurred_at": time.Now().UTC(),
		"data": map[string]any{"email": "bench@example.com", "message_id": "msg_bench", "profile": map[string]any{
			"id": "prf_bench", "fields": map[string]any{"firstname": "Ann", "city": "Utrecht"}}},
	})
	if err != nil {
		return err
	}
	headers, err := p.signer.Headers(e.Secret, "msg_"+eventID, time.Now(), body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = headers
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerEventID, eventID)
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// newSecret is a fresh Standard Webhooks secret for a reference endpoint.
func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// spread runs do for each request from clients goroutines, paced to
// perSecond requests a second as hookflow's events are (0: as fast as they
// go), and returns when each began (for the requests do took), and the
// first error.
func spread(ctx context.Context, reqs []referenceRequest, clients int, perSecond float64, do func(context.Context, referenceRequest) error, progress func(int)) (map[string]time.Time, error) {
	var pace *rate.Limiter
	if perSecond > 0 {
		pace = rate.NewLimiter(rate.Limit(perSecond), 1)
	}
	jobs := make(chan referenceRequest)
	go func() {
		defer close(jobs)
		for _, r := range reqs {
			if pace != nil && pace.Wait(ctx) != nil {
				return
			}
			select {
			case jobs <- r:
			case <-ctx.Done():
				return
			}
		}
	}()
	var mu sync.Mutex
	began := make(map[string]time.Time, len(reqs))
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for r := range jobs {
				at := time.Now()
				err := do(ctx, r)
				mu.Lock()
				if err == nil {
					began[r.EventID] = at
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				progress(1)
			}
		})
	}
	wg.Wait()
	return began, firstErr
}
