package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/server"
)

// eventSeeds are event bodies beyond fuzzSeeds: each type, and values at
// and past the limits of the fields.
var eventSeeds = []string{
	`{"type":"open","message_id":"$MSG"}`,
	`{"type":"click","message_id":"$MSG","url":"https://example.com/a?b=c#d","ip":"2001:db8::1","useragent":"ua"}`,
	`{"type":"delivery","message_id":"$MSG","timestamp":"2026-01-02T03:04:05.999999999-12:00"}`,
	`{"type":"profile.update","profile_id":"$PRF","data":{"":"","a":[[[]]]}}`,
	`{"type":"open","message_id":"$MSG","ip":"::ffff:1.2.3.4","url":"http://[::1]:0/"}`,
	`{"type":"open","message_id":"$MSG","timestamp":"2026-02-30T00:00:00Z"}`,
	`{"type":"open","message_id":"$MSG","timestamp":"+275760-09-13T00:00:00Z"}`,
	`{"id":"` + strings.Repeat("i", 256) + `","type":"open","message_id":"$MSG"}`,
	`{"type":"open","message_id":"$MSG","data":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
	`{"type":"OPEN","message_id":"$MSG"}`, `{"type":"open","message_id":"$SUB"}`, `{"type":"open","message_id":"$MSG","profile_id":"$PRF"}`,
}

// FuzzEventIngest posts each body to POST /v1/events, with an
// Idempotency-Key when the key is not empty: no 5xx, no panic, refusals
// are problem details, acceptances name the event.
func FuzzEventIngest(f *testing.F) {
	keys := []string{"", "k-1", " ", "\t", strings.Repeat("k", 300), "ключ", "a\x7fb"}
	for i, s := range append(fuzzSeeds(), eventSeeds...) {
		f.Add(s, keys[i%len(keys)])
	}
	h := newServer(f)
	a := createAudience(f, h)
	ids := fixtureIDs(a, createMessage(f, h, a.Profile, a.Subprofile, "https://example.com/").str("id"))
	f.Fuzz(func(t *testing.T, body, key string) {
		body = ids.Replace(body)
		r := do(t, h, http.MethodPost, "/v1/events", body, idempotencyKey(key))
		wantHandled(t, r, "POST /v1/events", body, http.StatusAccepted)
		if r.Code == http.StatusAccepted && r.str("id") == "" {
			t.Errorf("POST /v1/events accepted without an id: %s", r.Raw)
		}
	})
}

// FuzzEventBatch posts each body to POST /v1/events/batch, with and
// without wrapping it as the batch's only event: the answer is a problem
// or one result per event.
func FuzzEventBatch(f *testing.F) {
	for i, s := range append(fuzzSeeds(), eventSeeds...) {
		f.Add(s, i%2 == 0)
	}
	h := newServer(f)
	a := createAudience(f, h)
	ids := fixtureIDs(a, createMessage(f, h, a.Profile, a.Subprofile, "https://example.com/").str("id"))
	f.Fuzz(func(t *testing.T, body string, wrap bool) {
		body = ids.Replace(body)
		if wrap {
			body = `{"events":[` + body + `]}`
		}
		r := do(t, h, http.MethodPost, "/v1/events/batch", body)
		wantHandled(t, r, "POST /v1/events/batch", body, http.StatusAccepted, http.StatusOK)
		if r.Code != http.StatusAccepted && r.Code != http.StatusOK {
			return
		}
		var in struct{ Events []json.RawMessage }
		var out struct{ Results []map[string]any }
		if err := json.Unmarshal(r.Raw, &out); err != nil {
			t.Fatalf("batch answered %d with %s: %v", r.Code, r.Raw, err)
		}
		if json.Unmarshal([]byte(body), &in) == nil && len(in.Events) != len(out.Results) {
			t.Errorf("batch of %d events answered %d results: %s", len(in.Events), len(out.Results), r.Raw)
		}
	})
}

// idempotencyKey sends key as the Idempotency-Key; "" sends none.
func idempotencyKey(key string) requestOption {
	return withHeader(server.IdempotencyKeyHeader, key)
}
