package server_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

func TestIdempotencyKeyReplaysTheFirstResponse(t *testing.T) {
	var store *models.Store
	h := newServer(t, keepStore(&store))
	key := withHeader("Idempotency-Key", "create-newsletter-1")
	first := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Newsletter"}, key)
	want(t, first, http.StatusCreated)
	again := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Newsletter"}, key)
	want(t, again, http.StatusCreated)
	if string(again.Raw) != string(first.Raw) || again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Content-Type") != first.Header.Get("Content-Type") {
		t.Errorf("retry answered %s (%v), want the first answer %s replayed", again.Raw, again.Header, first.Raw)
	}
	if ids := do(t, h, http.MethodGet, "/v1/databases", nil).ids(); len(ids) != 1 {
		t.Errorf("two requests with one key made %d databases", len(ids))
	}

	// The same key for another request is a client's mistake.
	wantProblem(t, do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Other"}, key), http.StatusConflict)

	// Keys are the account's own: another account's same key is a new request.
	_, betaKey := newAccountWithKey(t, h, "Beta")
	beta := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Newsletter"}, key, asKey(betaKey))
	want(t, beta, http.StatusCreated)
	if beta.str("id") == first.str("id") || beta.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another account's request with the same key got the first account's answer: %s", beta.Raw)
	}

	// After 24 hours the key is forgotten.
	if err := store.DB(t.Context()).Model(&models.IdempotentRequest{}).Where("1 = 1").
		Update("created_at", models.Now().Add(-25*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	later := do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "Other"}, key)
	want(t, later, http.StatusCreated)
	if later.str("id") == first.str("id") {
		t.Errorf("an expired key replayed the old answer")
	}
	if n, err := store.PruneIdempotentRequests(t.Context(), 100); err != nil || n != 1 {
		t.Errorf("pruned %d expired keys (err %v), want Beta's one", n, err)
	}
}

func TestIdempotencyKeyMakesOneEventUnderConcurrentRetries(t *testing.T) {
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)
	msg := mustCreate(t, h, "/v1/messages", map[string]any{"profile_id": a.Profile})
	const tries = 8
	codes := make([]int, tries)
	ids := make([]string, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			r := do(t, h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": msg}, withHeader("Idempotency-Key", "open-1"))
			codes[i], ids[i] = r.Code, r.str("id")
		})
	}
	wg.Wait()
	var accepted []string
	for i, code := range codes {
		switch code {
		case http.StatusAccepted:
			accepted = append(accepted, ids[i])
		case http.StatusConflict: // the first was still being answered
		default:
			t.Errorf("try %d answered %d", i, code)
		}
	}
	for _, id := range accepted {
		if id != accepted[0] {
			t.Errorf("retries answered different events: %v", accepted)
		}
	}
	if n := len(storedEvents(t, store, "message_id = ?", msg)); n != 1 || len(accepted) == 0 {
		t.Errorf("%d concurrent retries stored %d events (%d answered 202), want 1", tries, n, len(accepted))
	}
}

func TestIdempotencyKeyMustBePrintable(t *testing.T) {
	h := newServer(t)
	wantProblem(t, do(t, h, http.MethodPost, "/v1/databases", map[string]any{"name": "N"}, withHeader("Idempotency-Key", "tab\there")), http.StatusBadRequest)
}
