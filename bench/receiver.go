package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// headerEventID is hookflow's header naming the event a request carries;
// the references send it too, so one receiver counts all three alike.
const headerEventID = "Hookflow-Event-Id"

// headerEventType names the type of what a request carries: "batch" for a
// batch, whose body lists its events, each counted as it arrives.
const headerEventType = "Hookflow-Event-Type"

// receiver is the benchmark's endpoint, doing a customer's work: it checks
// every request's v1 signature with the official Standard Webhooks library
// and notes when each event first reached each endpoint (a path). It also
// serves verification files, so hookflow's webhooks can be verified.
type receiver struct {
	URL string
	srv *http.Server

	mu        sync.Mutex
	verifiers map[string]*standardwebhooks.Webhook // by path
	files     map[string]string                    // path -> content
	arrived   map[arrival]time.Time

	deliveries atomic.Int64 // distinct (endpoint, event) pairs arrived
	forged     atomic.Int64 // requests whose signature did not verify
}

type arrival struct{ path, event string }

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{URL: "http://" + ln.Addr().String(), verifiers: map[string]*standardwebhooks.Webhook{},
		files: map[string]string{}, arrived: map[arrival]time.Time{}}
	rc.srv = &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go rc.srv.Serve(ln) //nolint:errcheck // ends with Close
	return rc, nil
}

func (rc *receiver) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return rc.srv.Shutdown(ctx)
}

// endpoint makes path an endpoint whose requests must verify with secret.
func (rc *receiver) endpoint(path, secret string) error {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return fmt.Errorf("secret of %s: %w", path, err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.verifiers[path] = wh
	return nil
}

func (rc *receiver) serveFile(path, content string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.files[path] = content
}

// reset forgets what arrived, before the next phase.
func (rc *receiver) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.arrived = map[arrival]time.Time{}
	rc.deliveries.Store(0)
	rc.forged.Store(0)
}

// arrivals is a copy of when each (endpoint, event) pair first arrived.
func (rc *receiver) arrivals() map[arrival]time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[arrival]time.Time, len(rc.arrived))
	for k, v := range rc.arrived {
		out[k] = v
	}
	return out
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		rc.mu.Lock()
		content, ok := rc.files[r.URL.Path]
		rc.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, content)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	wh := rc.verifiers[r.URL.Path]
	rc.mu.Unlock()
	if wh == nil {
		http.NotFound(w, r)
		return
	}
	if err := wh.Verify(body, r.Header); err != nil {
		rc.forged.Add(1)
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		return
	}
	now := time.Now()
	events := []string{r.Header.Get(headerEventID)}
	if r.Header.Get(headerEventType) == "batch" {
		var batch struct {
			Events []struct {
				ID string `json:"id"`
			} `json:"events"`
		}
		if err := json.Unmarshal(body, &batch); err != nil || len(batch.Events) == 0 {
			http.Error(w, "not a batch", http.StatusBadRequest)
			return
		}
		events = events[:0]
		for _, e := range batch.Events {
			events = append(events, e.ID)
		}
	}
	rc.mu.Lock()
	for _, id := range events {
		key := arrival{r.URL.Path, id}
		if _, seen := rc.arrived[key]; !seen {
			rc.arrived[key] = now
			rc.deliveries.Add(1)
		}
	}
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
