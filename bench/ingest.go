package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/apiclient"
)

// batchSize is how many events one request to the batch endpoint carries.
const batchSize = 100

// ingestion is what posting the events gave: when each accepted event was
// sent (its request began), and how many were refused.
type ingestion struct {
	sent     map[string]time.Time
	refused  int
	firstErr error
	took     time.Duration
}

// ingest posts n copies of event to the API, one per request or batchSize
// per request to the batch endpoint, from clients goroutines, paced to
// perSecond events a second (0: as fast as they are accepted).
func ingest(ctx context.Context, api apiclient.Client, event map[string]any, n, clients int, perSecond float64, batch bool, progress func(int)) ingestion {
	per := 1
	if batch {
		per = batchSize
	}
	var pace *rate.Limiter
	if perSecond > 0 {
		pace = rate.NewLimiter(rate.Limit(perSecond), per)
	}
	requests := make(chan int) // events in each request
	go func() {
		defer close(requests)
		for left := n; left > 0; left -= per {
			size := min(per, left)
			if pace != nil && pace.WaitN(ctx, size) != nil {
				return
			}
			select {
			case requests <- size:
			case <-ctx.Done():
				return
			}
		}
	}()

	var mu sync.Mutex
	res := ingestion{sent: make(map[string]time.Time, n)}
	book := func(at time.Time, ids []string, refused int, err error) {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			res.sent[id] = at
		}
		res.refused += refused
		if err != nil && res.firstErr == nil {
			res.firstErr = err
		}
		progress(len(ids) + refused)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for size := range requests {
				at := time.Now()
				ids, err := post(ctx, api, event, size, batch)
				book(at, ids, size-len(ids), err)
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

// post sends size events in one request and returns the ids of those
// accepted (a duplicate is not: every event is new).
func post(ctx context.Context, api apiclient.Client, event map[string]any, size int, batch bool) ([]string, error) {
	if !batch {
		var accepted struct{ ID string }
		if err := api.Call(ctx, "POST", "/v1/events", event, &accepted); err != nil {
			return nil, err
		}
		return []string{accepted.ID}, nil
	}
	events := make([]map[string]any, size)
	for i := range events {
		events[i] = event
	}
	var answer struct {
		Results []struct{ Status, ID string }
	}
	if err := api.Call(ctx, "POST", "/v1/events/batch", map[string]any{"events": events}, &answer); err != nil {
		return nil, err
	}
	ids := make([]string, 0, size)
	for _, r := range answer.Results {
		if r.Status == "accepted" {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) < size {
		return ids, fmt.Errorf("batch: %d of %d events not accepted", size-len(ids), size)
	}
	return ids, nil
}
