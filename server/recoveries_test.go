package server_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// deliveryFixture is a server with a webhook (active, on a receiver that
// is never called) and one event, and a way to record deliveries to it.
type deliveryFixture struct {
	h     http.Handler
	store *models.Store
	wf    *workflowsDouble
	hook  string
	msg   string
}

func newDeliveryFixture(t *testing.T) *deliveryFixture {
	t.Helper()
	f := &deliveryFixture{wf: &workflowsDouble{}}
	f.h = newServer(t, keepStore(&f.store), allowPrivate, withWorkflows(f.wf))
	a := createAudience(t, f.h)
	f.msg = mustCreate(t, f.h, "/v1/messages", map[string]any{"profile_id": a.Profile})
	f.hook = mustCreate(t, f.h, "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"open"}})
	if moved, err := f.store.TransitionWebhook(t.Context(), f.hook, models.VerifyWebhook("http://127.0.0.1:1/hook", models.Now())); err != nil || !moved {
		t.Fatalf("verify the webhook: %v, %v", moved, err)
	}
	return f
}

// delivery records a delivery of a new event whose attempts answered codes.
func (f *deliveryFixture) delivery(t *testing.T, status models.DeliveryStatus, codes ...int) models.Delivery {
	t.Helper()
	r := do(t, f.h, http.MethodPost, "/v1/events", map[string]any{"type": "open", "message_id": f.msg})
	want(t, r, http.StatusAccepted)
	return recordedDelivery(t, f.store, r.str("id"), f.hook, status, codes...)
}

func TestAPendingDeliveryShowsWhereItsWorkflowHasIt(t *testing.T) {
	f := newDeliveryFixture(t)
	pending := f.delivery(t, models.DeliveryPending, 503)
	done := f.delivery(t, models.DeliverySucceeded, 200)
	due := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	ends := due.Add(71 * time.Hour)
	var asked []string
	f.wf.answerSchedule(func(eventID, deliveryID string) (*models.DeliverySchedule, error) {
		asked = append(asked, eventID+"/"+deliveryID)
		return &models.DeliverySchedule{NextAttemptAt: due, AttemptsLeft: 14, RetryWindowEndsAt: ends}, nil
	})

	r := do(t, f.h, http.MethodGet, "/v1/deliveries/"+pending.ID, nil)
	want(t, r, http.StatusOK)
	if r.Body["live"] != true || r.str("next_attempt_at") != "2026-12-02T09:30:00Z" || r.Body["attempts_left"] != float64(14) ||
		r.str("retry_window_ends_at") != ends.Format(time.RFC3339) {
		t.Errorf("pending delivery %s: want its workflow's schedule, live", r.Raw)
	}
	if !slices.Equal(asked, []string{pending.EventID + "/" + pending.ID}) {
		t.Errorf("asked the workflows %v, want the pending delivery's event's", asked)
	}

	r = do(t, f.h, http.MethodGet, "/v1/deliveries/"+done.ID, nil)
	if r.Body["live"] != false || r.Body["next_attempt_at"] != nil || r.Body["attempts_left"] != nil || len(asked) != 1 {
		t.Errorf("succeeded delivery %s (asked %v): nothing to ask, nothing live", r.Raw, asked)
	}

	// No answer in time, or a workflow that is not retrying it: the stored state.
	for _, answer := range []func(string, string) (*models.DeliverySchedule, error){
		func(string, string) (*models.DeliverySchedule, error) {
			return nil, errors.New("context deadline exceeded")
		},
		func(string, string) (*models.DeliverySchedule, error) { return nil, nil },
	} {
		f.wf.answerSchedule(answer)
		r = do(t, f.h, http.MethodGet, "/v1/deliveries/"+pending.ID, nil)
		want(t, r, http.StatusOK)
		if r.Body["live"] != false || r.str("next_attempt_at") != pending.NextAttemptAt.Format(time.RFC3339Nano) || r.Body["attempts_left"] != nil {
			t.Errorf("pending delivery without its workflow's answer %s: want the stored next_attempt_at %v", r.Raw, pending.NextAttemptAt)
		}
	}
}

func TestResendReopensAFinishedDelivery(t *testing.T) {
	f := newDeliveryFixture(t)
	failed := f.delivery(t, models.DeliveryFailed, 503, 404)
	pending := f.delivery(t, models.DeliveryPending, 503)

	r := do(t, f.h, http.MethodPost, "/v1/deliveries/"+failed.ID+"/resend", nil)
	want(t, r, http.StatusAccepted)
	if r.str("status") != "pending" || r.Body["attempts"] != float64(2) || r.Body["completed_at"] != nil {
		t.Errorf("resent delivery %s: want pending again, its two attempts kept", r.Raw)
	}
	resends := f.wf.recorded().Resends
	if len(resends) != 1 || resends[0].ID != failed.ID || resends[0].Attempts != 2 || resends[0].EventID != failed.EventID {
		t.Errorf("resends %+v, want %s after its 2 attempts", resends, failed.ID)
	}
	if e := storedEvent(t, f.store, "id = ?", failed.EventID); e.SettledAt != nil {
		t.Errorf("event of a resent delivery still settled at %v", e.SettledAt)
	}
	// Now it is being delivered, as the other one is.
	for _, id := range []string{failed.ID, pending.ID} {
		wantProblem(t, do(t, f.h, http.MethodPost, "/v1/deliveries/"+id+"/resend", nil), http.StatusConflict)
	}
	if n := len(f.wf.recorded().Resends); n != 1 {
		t.Errorf("%d resends started, want 1", n)
	}

	noTemporal := newServer(t, withStore(f.store))
	wantProblem(t, do(t, noTemporal, http.MethodPost, "/v1/deliveries/"+failed.ID+"/resend", nil), http.StatusServiceUnavailable)
}

func TestARecoveryCountsThenReDeliversTheFailedOnes(t *testing.T) {
	f := newDeliveryFixture(t)
	since := models.Now().Add(-time.Minute).Format(time.RFC3339)
	var failed []string
	for range 3 {
		failed = append(failed, f.delivery(t, models.DeliveryFailed, 410).ID)
	}
	f.delivery(t, models.DeliverySucceeded, 200)
	f.delivery(t, models.DeliveryPending, 503)
	path := "/v1/webhooks/" + f.hook + "/recover"

	for _, bad := range []struct {
		body   map[string]any
		fields []string
	}{
		{map[string]any{}, []string{"since"}},
		{map[string]any{"since": "yesterday", "until": "today"}, []string{"since", "until"}},
		{map[string]any{"since": since, "until": since}, []string{"since"}},
		{map[string]any{"since": since, "max_rps": 0}, []string{"max_rps"}},
		{map[string]any{"since": since, "max_rps": 1e6}, []string{"max_rps"}},
	} {
		wantProblem(t, do(t, f.h, http.MethodPost, path, bad.body), http.StatusUnprocessableEntity, bad.fields...)
	}
	dry := do(t, f.h, http.MethodPost, path, map[string]any{"since": since, "dry_run": true})
	want(t, dry, http.StatusOK)
	if dry.Body["total"] != float64(3) || len(dry.Body) != 1 {
		t.Errorf("dry run %s: want only the count, 3", dry.Raw)
	}
	later := do(t, f.h, http.MethodPost, path, map[string]any{"since": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "dry_run": true})
	wantProblem(t, later, http.StatusUnprocessableEntity, "since")
	if n := len(f.wf.recorded().Recoveries); n != 0 {
		t.Fatalf("%d recoveries started by dry runs and bad requests", n)
	}

	r := do(t, f.h, http.MethodPost, path, map[string]any{"since": since, "max_rps": 2.5})
	want(t, r, http.StatusAccepted)
	id := r.str("id")
	if r.str("status") != "running" || r.Body["total"] != float64(3) || r.Body["done"] != float64(0) || r.Body["max_rps"] != 2.5 ||
		r.Header.Get("Location") != "/v1/recoveries/"+id || !models.HasPrefix(id, models.PrefixRecovery) {
		t.Errorf("recovery %s (Location %q): want running, 3 to do at 2.5/s", r.Raw, r.Header.Get("Location"))
	}
	if got := f.wf.recorded().Recoveries; !slices.Equal(got, []string{id}) {
		t.Errorf("recoveries started %v, want %s", got, id)
	}
	wantProblem(t, do(t, f.h, http.MethodPost, path, map[string]any{"since": since}), http.StatusConflict)

	got := do(t, f.h, http.MethodGet, "/v1/recoveries/"+id, nil)
	want(t, got, http.StatusOK)
	if got.str("webhook_id") != f.hook || got.str("status") != "running" || got.str("until") == "" {
		t.Errorf("recovery %s", got.Raw)
	}

	cancelled := do(t, f.h, http.MethodPost, "/v1/recoveries/"+id+"/cancel", nil)
	want(t, cancelled, http.StatusOK)
	if cancelled.str("status") != "cancelled" || cancelled.Body["completed_at"] == nil {
		t.Errorf("cancelled recovery %s", cancelled.Raw)
	}
	want(t, do(t, f.h, http.MethodPost, "/v1/recoveries/"+id+"/cancel", nil), http.StatusOK)
	if got := f.wf.recorded().Cancels; !slices.Equal(got, []string{id}) {
		t.Errorf("workflows cancelled %v, want %s once", got, id)
	}

	// Nothing to do: completed at once, without a workflow.
	none := do(t, f.h, http.MethodPost, path, map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "until": since})
	want(t, none, http.StatusAccepted)
	if none.str("status") != "completed" || none.Body["total"] != float64(0) || len(f.wf.recorded().Recoveries) != 1 {
		t.Errorf("recovery of an empty window %s: want completed at once, no workflow", none.Raw)
	}
	wantProblem(t, do(t, f.h, http.MethodPost, "/v1/recoveries/"+none.str("id")+"/cancel", nil), http.StatusConflict)

	// Temporal refuses: the recovery is recorded as failed, and the answer is 503.
	f.wf.mu.Lock()
	f.wf.recoveryErr = errors.New("temporal: unavailable")
	f.wf.mu.Unlock()
	wantProblem(t, do(t, f.h, http.MethodPost, path, map[string]any{"since": since}), http.StatusServiceUnavailable)
	var stored []models.Recovery
	if err := f.store.DB(t.Context()).Where("webhook_id = ? AND status = ?", f.hook, models.RecoveryFailed).Find(&stored).Error; err != nil || len(stored) != 1 {
		t.Errorf("recoveries that could not start: %+v, %v; want one, failed", stored, err)
	}

	// Only an active webhook gets a recovery; a dry run still counts.
	want(t, do(t, f.h, http.MethodPatch, "/v1/webhooks/"+f.hook, map[string]any{"status": "paused"}), http.StatusOK)
	wantProblem(t, do(t, f.h, http.MethodPost, path, map[string]any{"since": since}), http.StatusConflict)
	want(t, do(t, f.h, http.MethodPost, path, map[string]any{"since": since, "dry_run": true}), http.StatusOK)
}
