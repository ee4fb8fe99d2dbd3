package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

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

func TestConcurrentWebhookPatchesOfDifferentFieldsBothLand(t *testing.T) {
	t.Parallel()
	h := newServer(t)
	lost := 0
	for round := range raceRounds {
		id := createWebhook(t, h, []string{"open"}, nil)
		path := "/v1/webhooks/" + id
		description := fmt.Sprintf("round %d", round)
		answers := race(t, h,
			func() response { return do(t, h, http.MethodPatch, path, map[string]any{"description": description}) },
			func() response {
				return do(t, h, http.MethodPatch, path, map[string]any{"events": []string{"click", "bounce"}})
			},
		)
		for _, r := range answers {
			want(t, r, http.StatusOK)
		}
		got := do(t, h, http.MethodGet, path, nil)
		want(t, got, http.StatusOK)
		if got.str("description") != description || slicesOf(got.Body["events"]) != "click,bounce" {
			lost++
			t.Logf("round %d: %s", round, got.Raw)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d rounds lost one of two concurrent PATCHes", lost, raceRounds)
	}
}

func TestDeletedWebhookIsNeverBroughtBackByRacingPatches(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	resurrected := 0
	for round := range raceRounds {
		id := createWebhook(t, h, []string{"open"}, nil)
		path := "/v1/webhooks/" + id
		answers := race(t, h,
			func() response { return do(t, h, http.MethodPatch, path, map[string]any{"description": "racing"}) },
			func() response { return do(t, h, http.MethodDelete, path, nil) },
			func() response { return do(t, h, http.MethodPatch, path, map[string]any{"events": []string{"click"}}) },
		)
		want(t, answers[1], http.StatusNoContent)
		for _, r := range []response{answers[0], answers[2]} {
			if r.Code != http.StatusOK && r.Code != http.StatusNotFound {
				t.Errorf("round %d: a PATCH racing a DELETE answered %d: %s", round, r.Code, r.Raw)
			}
		}
		var rows int64
		if err := store.DB(t.Context()).Model(&models.Webhook{}).Where("id = ?", id).Count(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if got := do(t, h, http.MethodGet, path, nil); got.Code != http.StatusNotFound || rows != 0 {
			resurrected++
			t.Logf("round %d: GET after DELETE answered %d, %d rows", round, got.Code, rows)
		}
	}
	if resurrected > 0 {
		t.Errorf("%d of %d deleted webhooks came back", resurrected, raceRounds)
	}
}

// TestVerificationPassingDuringAPatchStays: a verification that passes (as
// the verification activity records it) while a PATCH of the description
// runs leaves the webhook active with the new description.
func TestVerificationPassingDuringAPatchStays(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	for round := range raceRounds {
		id := createWebhook(t, h, []string{"open"}, nil)
		path := "/v1/webhooks/" + id
		description := fmt.Sprintf("round %d", round)
		var moved bool
		var verifyErr error
		answers := race(t, h,
			func() response { return do(t, h, http.MethodPatch, path, map[string]any{"description": description}) },
			func() response {
				moved, verifyErr = store.TransitionWebhook(t.Context(), id, models.VerifyWebhook(publicHook, models.Now()))
				return response{}
			},
		)
		want(t, answers[0], http.StatusOK)
		if verifyErr != nil || !moved {
			t.Fatalf("round %d: verification moved %v, err %v", round, moved, verifyErr)
		}
		got := do(t, h, http.MethodGet, path, nil)
		if got.str("status") != "active" || got.str("verified_at") == "" || got.str("description") != description {
			t.Errorf("round %d: %s, want active with the new description", round, got.Raw)
		}
	}
}

// TestURLChangeRacingAVerificationOfTheOldURL: whichever lands first, a
// webhook whose URL changed while its old URL was being verified is never
// active with the new URL unproven.
func TestURLChangeRacingAVerificationOfTheOldURL(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	const newURL = "https://93.184.216.34/hooks/new.php"
	activatedFirst := 0
	for round := range raceRounds {
		id := createWebhook(t, h, []string{"open"}, nil)
		path := "/v1/webhooks/" + id
		var moved bool
		var verifyErr error
		answers := race(t, h,
			func() response { return do(t, h, http.MethodPatch, path, map[string]any{"url": newURL}) },
			func() response {
				// The PATCH has more to do; a growing head start for it
				// lets either land first.
				time.Sleep(time.Duration(round) * 50 * time.Microsecond)
				moved, verifyErr = store.TransitionWebhook(t.Context(), id, models.VerifyWebhook(publicHook, models.Now()))
				return response{}
			},
		)
		want(t, answers[0], http.StatusOK)
		if verifyErr != nil {
			t.Fatal(verifyErr)
		}
		if moved {
			activatedFirst++
		}
		got := do(t, h, http.MethodGet, path, nil)
		if got.str("url") != newURL || got.str("status") != "unverified" || got.Body["verified_at"] != nil || got.Body["active_since"] != nil {
			t.Errorf("round %d (old URL verified first: %v): %s, want the new URL unverified", round, moved, got.Raw)
		}
	}
	t.Logf("the old URL's verification landed first in %d of %d rounds", activatedFirst, raceRounds)
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
