package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// raceRounds is how many times each race is run: a lost update showed in
// about one round in four before writes were conditional.
const raceRounds = 20

// race sends the requests at once, each from its own goroutine released
// together, and returns their responses in order.
func race(t *testing.T, h http.Handler, requests ...func() response) []response {
	t.Helper()
	out := make([]response, len(requests))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() {
			<-start
			out[i] = req()
		})
	}
	close(start)
	wg.Wait()
	return out
}

// TestConcurrentProfilePatchesMergeEveryKey: PATCHes of different keys of
// a profile's fields both land, and each one's profile.update event shows
// exactly the change it made, from the profile as it replaced it.
func TestConcurrentProfilePatchesMergeEveryKey(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)
	for round := range raceRounds {
		id := createProfile(t, h, a.DB, fmt.Sprintf("round%d@example.com", round))
		path := "/v1/profiles/" + id
		answers := race(t, h,
			func() response {
				return do(t, h, http.MethodPatch, path, map[string]any{"fields": map[string]any{"city": "Delft"}})
			},
			func() response {
				return do(t, h, http.MethodPatch, path, map[string]any{"fields": map[string]any{"plan": "gold"}})
			},
		)
		for _, r := range answers {
			want(t, r, http.StatusOK)
		}
		got := do(t, h, http.MethodGet, path, nil)
		fields, _ := got.Body["fields"].(map[string]any)
		if fields["city"] != "Delft" || fields["plan"] != "gold" {
			t.Errorf("round %d: fields %v, want both keys", round, fields)
		}
		updates := storedEvents(t, store, "profile_id = ? AND type = ?", id, models.EventProfileUpdate)
		if len(updates) != 2 {
			t.Fatalf("round %d: %d profile.update events, want 2", round, len(updates))
		}
		added := map[string]bool{}
		for _, e := range updates {
			before := fieldsOf(e.Data["before"])
			after := fieldsOf(e.Data["after"])
			var changed []string
			for k, v := range after {
				if before[k] != v {
					changed = append(changed, k)
				}
			}
			if len(changed) != 1 || len(after) != len(before)+1 {
				t.Errorf("round %d: event %s goes from %v to %v, want one key added", round, e.ID, before, after)
				continue
			}
			added[changed[0]] = true
		}
		if !added["city"] || !added["plan"] {
			t.Errorf("round %d: the events added %v, want city in one and plan in the other", round, added)
		}
	}
}

// fieldsOf reads the fields of a profile snapshot in an event.
func fieldsOf(snapshot any) map[string]any {
	s, _ := snapshot.(map[string]any)
	f, _ := s["fields"].(map[string]any)
	return f
}
