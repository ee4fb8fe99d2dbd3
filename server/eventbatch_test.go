package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/hookflow/hookflow/models"
)

// batchResults returns the results of a batch answer.
func batchResults(t testing.TB, r response) []map[string]any {
	t.Helper()
	raw, ok := r.Body["results"].([]any)
	if !ok {
		t.Fatalf("batch answer has no results: %s", r.Raw)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i], _ = v.(map[string]any)
	}
	return out
}

func TestEventBatch(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	subscribeToAll(t, store)
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, a.Subprofile).str("id")
	earlier := do(t, h, http.MethodPost, "/v1/events", map[string]any{"id": "mta-0", "type": "delivery", "message_id": msg})
	want(t, earlier, http.StatusAccepted)

	t.Run("each event has its result, in order", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/events/batch", `{"events": [
			{"id": "b-1", "type": "delivery", "message_id": "`+msg+`"},
			{"type": "opened", "message_id": "`+msg+`"},
			{"id": "mta-0", "type": "delivery", "message_id": "`+msg+`"},
			{"id": "b-1", "type": "delivery", "message_id": "`+msg+`"},
			{"type": "open", "message_id": "`+msg+`", "colour": "red"},
			{"type": "profile.update", "profile_id": "`+a.Profile+`", "data": {"source": "crm"}},
			null,
			{"id": "b-2", "type": "bounce", "message_id": "msg_unknown"},
			{"id": "b-2", "type": "bounce", "message_id": "`+msg+`", "data": {"code": "550"}}
		]}`)
		want(t, r, http.StatusOK)
		res := batchResults(t, r)
		wantStatuses := []string{"accepted", "invalid", "duplicate", "duplicate", "invalid", "accepted", "invalid", "invalid", "accepted"}
		if len(res) != len(wantStatuses) {
			t.Fatalf("%d results for %d events: %s", len(res), len(wantStatuses), r.Raw)
		}
		for i, st := range wantStatuses {
			if res[i]["status"] != st {
				t.Errorf("result %d is %v, want %s: %s", i, res[i], st, r.Raw)
			}
		}
		if res[2]["id"] != earlier.str("id") {
			t.Errorf("duplicate of a stored client id answered id %v, want %s", res[2]["id"], earlier.str("id"))
		}
		if res[3]["id"] != res[0]["id"] {
			t.Errorf("second b-1 in the batch answered id %v, want the first's %v", res[3]["id"], res[0]["id"])
		}
		for i, field := range map[int]string{1: "type", 4: "colour", 6: "type", 7: "message_id"} {
			if res[i]["index"] != float64(i) {
				t.Errorf("invalid result %d has index %v", i, res[i]["index"])
			}
			problem, _ := res[i]["problem"].(map[string]any)
			wantStatus := 422.0
			if i == 4 {
				wantStatus = 400 // as POST /v1/events answers an unknown member
			}
			errs, _ := problem["errors"].([]any)
			first, _ := errs[0].(map[string]any)
			if problem["status"] != wantStatus || first["field"] != field || problem["instance"] != fmt.Sprintf("/v1/events/batch#/events/%d", i) {
				t.Errorf("result %d: problem %v, want status %v naming %s", i, problem, wantStatus, field)
			}
		}

		waitDispatched(t, store)
		var accepted []string
		for _, i := range []int{0, 5, 8} {
			id, _ := res[i]["id"].(string)
			e := storedEvent(t, store, "id = ?", id)
			accepted = append(accepted, e.ID)
			if deref(e.DatabaseID) != a.DB {
				t.Errorf("event %d stored without its scope: %+v", i, e)
			}
		}
		wantStartedOnce(t, wf, accepted...)
		if e := storedEvent(t, store, "client_id = ?", "b-2"); e.Type != models.EventBounce || e.Data["code"] != "550" {
			t.Errorf("b-2 stored as %+v, want the valid one", e)
		}
		if n := len(storedEvents(t, store, "client_id = ?", "b-1")); n != 1 {
			t.Errorf("%d events with client id b-1", n)
		}
	})

	t.Run("operational events are hookflow's to emit", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{
			{"type": "delivery.exhausted", "message_id": msg},
			{"type": "webhook.disabled"},
			{"id": "hookflow:webhook.recovered:wh_x:1", "type": "open", "message_id": msg},
			{"id": "b-3", "type": "open", "message_id": msg},
		}})
		want(t, r, http.StatusOK)
		res := batchResults(t, r)
		for i, field := range []string{"type", "type", "id"} {
			problem, _ := res[i]["problem"].(map[string]any)
			errs, _ := problem["errors"].([]any)
			first, _ := errs[0].(map[string]any)
			if res[i]["status"] != "invalid" || problem["status"] != 422.0 || first["field"] != field {
				t.Errorf("result %d is %v, want invalid with a 422 naming %s", i, res[i], field)
			}
		}
		if res[3]["status"] != "accepted" {
			t.Errorf("the ordinary event beside them: %v, want accepted", res[3])
		}
		if n := len(storedEvents(t, store, "type IN ?", []string{"delivery.exhausted", "webhook.disabled"})); n != 0 {
			t.Errorf("%d operational events stored from a client", n)
		}
	})

	t.Run("202 when every event is stored", func(t *testing.T) {
		r := do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{
			{"id": "b-1", "type": "delivery", "message_id": msg},
			{"type": "click", "message_id": msg, "url": "https://example.com/"},
		}})
		want(t, r, http.StatusAccepted)
		if res := batchResults(t, r); res[0]["status"] != "duplicate" || res[1]["status"] != "accepted" {
			t.Errorf("results %s", r.Raw)
		}
	})

	t.Run("a bad envelope stores nothing", func(t *testing.T) {
		event := `{"type":"open","message_id":"` + msg + `"}`
		tooMany := `{"events":[` + strings.Repeat(event+",", 1000) + event + `]}`
		for _, c := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"no events", `{}`, 422, "events"},
			{"empty", `{"events":[]}`, 422, "events"},
			{"1,001 events", tooMany, 422, "events"},
			{"events not an array", `{"events":{}}`, 400, "events"},
			{"unknown member", `{"events":[` + event + `],"more":true}`, 400, "more"},
			{"malformed", `{"events":[` + event, 400, "body"},
		} {
			t.Run(c.name, func(t *testing.T) {
				waitDispatched(t, store)
				before := len(storedEvents(t, store, "1 = 1"))
				wantProblem(t, do(t, h, http.MethodPost, "/v1/events/batch", c.body), c.status, c.field)
				if n := len(storedEvents(t, store, "1 = 1")); n != before {
					t.Errorf("a refused batch stored %d events", n-before)
				}
			})
		}
	})
}

// TestEventBatchesRace: batches sent at once with overlapping client ids
// never fail; each client id is stored once, and every batch names that
// one event for it.
func TestEventBatchesRace(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))
	subscribeToAll(t, store) // every event is wanted: its delivery is started
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, "").str("id")

	const batches, shared = 6, 40
	sent := make([][]string, batches) // client ids, in each batch's order
	answers := make([]response, batches)
	var wg sync.WaitGroup
	for b := range batches {
		var events []map[string]any
		for _, i := range rand.Perm(shared) {
			sent[b] = append(sent[b], fmt.Sprintf("race-%d", i))
		}
		sent[b] = append(sent[b], fmt.Sprintf("own-%d", b))
		for _, cid := range sent[b] {
			events = append(events, map[string]any{"id": cid, "type": "delivery", "message_id": msg})
		}
		wg.Go(func() { answers[b] = do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": events}) })
	}
	wg.Wait()

	idOf := map[string]string{} // client id → the event id every batch answered
	acceptedBy := map[string]int{}
	for b, r := range answers {
		if r.Code != http.StatusAccepted {
			t.Fatalf("batch %d answered %d: %.300s", b, r.Code, r.Raw)
		}
		for i, res := range batchResults(t, r) {
			cid, id := sent[b][i], res["id"].(string)
			if e := storedEvent(t, store, "id = ?", id); deref(e.ClientID) != cid {
				t.Errorf("batch %d result %d names %s, of client id %s, want %s", b, i, id, deref(e.ClientID), cid)
			}
			if prev, ok := idOf[cid]; ok && prev != id {
				t.Errorf("client id %s answered as %s and as %s", cid, prev, id)
			}
			idOf[cid] = id
			if res["status"] == "accepted" {
				acceptedBy[cid]++
			}
		}
	}
	for cid, id := range idOf {
		if acceptedBy[cid] != 1 {
			t.Errorf("client id %s accepted by %d batches, want 1", cid, acceptedBy[cid])
		}
		if n := len(storedEvents(t, store, "client_id = ?", cid)); n != 1 {
			t.Errorf("%d events stored for client id %s (%s)", n, cid, id)
		}
	}
	if len(idOf) != shared+batches {
		t.Errorf("%d client ids answered, want %d", len(idOf), shared+batches)
	}
	waitDispatched(t, store)
	for _, id := range idOf {
		wantStartedOnce(t, wf, id)
	}
}

// TestEventBatchLosesARaceForAClientID: another request stores one of the
// batch's client ids after the batch looked for duplicates and before it
// stored; the batch tries again and answers that event as the duplicate.
func TestEventBatchLosesARaceForAClientID(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	a := createAudience(t, h)
	msg := createMessage(t, h, a.Profile, "").str("id")

	rival := models.Event{ID: models.NewID(models.PrefixEvent), AccountID: models.DefaultAccountID, ClientID: ptr("r-2"), Type: models.EventBounce}
	var once sync.Once
	db := store.DB(t.Context())
	err := db.Callback().Query().After("gorm:query").Register("test:rival", func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "client_id IN") {
			once.Do(func() {
				rival.OccurredAt, rival.ReceivedAt = models.Now(), models.Now()
				if err := store.Create(context.Background(), &rival); err != nil {
					t.Errorf("store the rival event: %v", err)
				}
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	r := do(t, h, http.MethodPost, "/v1/events/batch", map[string]any{"events": []map[string]any{
		{"id": "r-1", "type": "delivery", "message_id": msg},
		{"id": "r-2", "type": "delivery", "message_id": msg},
	}})
	want(t, r, http.StatusAccepted)
	res := batchResults(t, r)
	if res[0]["status"] != "accepted" || res[1]["status"] != "duplicate" || res[1]["id"] != rival.ID {
		t.Errorf("results %s, want r-1 accepted and r-2 a duplicate of %s", r.Raw, rival.ID)
	}
	if n := len(storedEvents(t, store, "client_id IN ?", []string{"r-1", "r-2"})); n != 2 {
		t.Errorf("%d events stored for r-1 and r-2, want 2", n)
	}
}

func ptr[T any](v T) *T { return &v }
