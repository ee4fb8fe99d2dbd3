package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/server"
)

// ledger keeps what a fault test sent and what the API accepted, and
// tallies it against what the receivers got: the figures every fault test
// prints (events sent, accepted, deliveries expected and delivered,
// duplicates by webhook-id, lost).
type ledger struct {
	mu       sync.Mutex
	sent     int
	accepted []string // event ids, in the order the API accepted them
	refused  map[int]int
}

// post sends one event and books the answer: a 202 is an accepted event
// whatever happens next; anything else must be a problem body.
func (l *ledger) post(s *system, event map[string]any) (status int) {
	s.t.Helper()
	status, body := s.request("POST", "/v1/events", event)
	l.book(s.t, status, body)
	return status
}

func (l *ledger) book(t testing.TB, status int, body []byte) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent++
	if status == http.StatusAccepted {
		var event struct{ ID string }
		require.NoError(t, json.Unmarshal(body, &event))
		require.NotEmpty(t, event.ID)
		l.accepted = append(l.accepted, event.ID)
		return
	}
	if l.refused == nil {
		l.refused = map[int]int{}
	}
	l.refused[status]++
}

// bookBatch books the answer to POST /v1/events/batch: each event of the
// batch was sent, and each the API stored (now, or before: a duplicate)
// is accepted.
func (l *ledger) bookBatch(t testing.TB, events, status int, body []byte) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent += events
	if status != http.StatusAccepted && status != http.StatusOK {
		if l.refused == nil {
			l.refused = map[int]int{}
		}
		l.refused[status] += events
		return
	}
	var answer struct{ Results []batchResult }
	require.NoError(t, json.Unmarshal(body, &answer))
	require.Len(t, answer.Results, events)
	for _, r := range answer.Results {
		if r.Status == "accepted" || r.Status == "duplicate" {
			require.NotEmpty(t, r.ID)
			l.accepted = append(l.accepted, r.ID)
		}
	}
}

// batchResult is one event's result in a batch answer.
type batchResult struct {
	Status, ID string
}

// acceptedIDs is a copy of the accepted event ids.
func (l *ledger) acceptedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.accepted...)
}

// tally is what the receivers got against what was accepted: every
// accepted event is expected once at each receiver (an event accepted
// again, as the duplicate of a client id, is still one event).
type tally struct {
	Sent, Accepted, Expected, Delivered, Duplicates, Lost int
	Refused                                               map[int]int // by status
	// lost names the first lost deliveries, for the failure message.
	lost []string
}

func (tl tally) String() string {
	return fmt.Sprintf("sent %d, accepted %d, refused %v; deliveries expected %d, delivered %d, duplicates %d (each with the webhook-id of its first), lost %d",
		tl.Sent, tl.Accepted, tl.Refused, tl.Expected, tl.Delivered, tl.Duplicates, tl.Lost)
}

// tally counts the receivers' 2xx answers by event: a duplicate is a second
// success for the same event at the same receiver, and it must carry the
// same webhook-id as the first (a retry, never a new delivery).
func (l *ledger) tally(t testing.TB, receivers ...*receiver) tally {
	t.Helper()
	l.mu.Lock()
	tl := tally{Sent: l.sent, Refused: map[int]int{}}
	for status, n := range l.refused {
		tl.Refused[status] = n
	}
	accepted := slices.Compact(slices.Sorted(slices.Values(l.accepted)))
	l.mu.Unlock()

	type key struct {
		rc    *receiver
		event string
	}
	firstWebhookID := map[key]string{}
	for _, rc := range receivers {
		for _, r := range rc.received() {
			if r.Status < 200 || r.Status > 299 {
				continue
			}
			k := key{rc, r.Headers.Get(activities.HeaderEventID)}
			webhookID := r.Headers.Get("webhook-id")
			first, seen := firstWebhookID[k]
			if !seen {
				firstWebhookID[k] = webhookID
				continue
			}
			tl.Duplicates++
			require.Equal(t, first, webhookID, "event %s reached %s twice with different webhook-ids", k.event, rc.URL)
		}
	}
	tl.Accepted = len(accepted)
	for _, id := range accepted {
		for _, rc := range receivers {
			tl.Expected++
			if _, ok := firstWebhookID[key{rc, id}]; ok {
				tl.Delivered++
			} else {
				tl.Lost++
				if len(tl.lost) < 10 {
					tl.lost = append(tl.lost, "event "+id+" at "+rc.URL)
				}
			}
		}
	}
	return tl
}

// awaitDelivered waits up to within for every accepted event to reach
// every receiver, then logs the figures (with what) and fails if any are
// lost.
func (l *ledger) awaitDelivered(t testing.TB, what string, within time.Duration, receivers ...*receiver) tally {
	t.Helper()
	start := time.Now()
	tl := l.tally(t, receivers...)
	for tl.Lost > 0 && time.Since(start) < within {
		time.Sleep(200 * time.Millisecond)
		tl = l.tally(t, receivers...)
	}
	waited := time.Since(start)
	t.Logf("figures (%s): %v; all in %v after the wait began", what, tl, waited.Round(100*time.Millisecond))
	require.Zero(t, tl.Lost, "deliveries lost, first: %v", tl.lost)
	return tl
}

// requireProblem checks that a refusal's body is RFC 9457 problem details.
func requireProblem(t testing.TB, body []byte) {
	t.Helper()
	var p server.Problem
	require.NoError(t, json.Unmarshal(body, &p), "not problem details: %s", body)
	require.NotEmpty(t, p.Title, "problem without a title: %s", body)
	require.NotZero(t, p.Status, "problem without a status: %s", body)
}
