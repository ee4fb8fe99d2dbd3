package activities

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// failedDeliveries stores n events to w whose only attempt failed, and
// returns their deliveries in id order.
func failedDeliveries(t *testing.T, a *Activities, f audienceFixture, w *models.Webhook, n int) []models.Delivery {
	t.Helper()
	var out []models.Delivery
	for range n {
		e := createEvent(t, a, f, models.EventOpen)
		if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
			t.Fatal(err)
		}
		d := deliveryOf(t, a, e.ID, w.ID)
		if d.Status != models.DeliveryFailed {
			t.Fatalf("delivery %s is %s, want failed", d.ID, d.Status)
		}
		out = append(out, d)
	}
	return out
}

func startRecovery(t *testing.T, a *Activities, w *models.Webhook, maxRPS float64) *models.Recovery {
	t.Helper()
	r := &models.Recovery{ID: models.NewID(models.PrefixRecovery), WebhookID: w.ID, Since: models.Now().Add(-time.Hour),
		Until: models.Now().Add(time.Second), MaxRPS: maxRPS, Status: models.RecoveryRunning}
	if err := a.Store.Create(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func recoveryOf(t *testing.T, a *Activities, id string) *models.Recovery {
	t.Helper()
	r, err := models.Get[models.Recovery](t.Context(), a.Store, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestARecoveryReDeliversEachFailedDeliveryOnceAtItsPace(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	var up atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		if up.Load() && n != 8 { // the 8th request is the recovery's second: it fails
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	w := createWebhook(t, a, rc.URL)
	failed := failedDeliveries(t, a, f, w, 5)
	up.Store(true)
	ok := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), ok.ID); err != nil {
		t.Fatal(err)
	}
	r := startRecovery(t, a, w, 10)

	started := time.Now()
	res, err := a.RecoverDeliveries(t.Context(), r.ID)
	if err != nil || !res.Finished {
		t.Fatalf("recover: %+v, %v; want finished", res, err)
	}
	requests := rc.received()[6:]
	if len(requests) != 5 {
		t.Fatalf("the recovery sent %d requests, want one per failed delivery (5)", len(requests))
	}
	for i, req := range requests {
		if got := req.Header.Get("Webhook-Id"); got != failed[i].ID {
			t.Errorf("request %d went to %s, want %s (id order, never the succeeded one)", i, got, failed[i].ID)
		}
		if got := req.Header.Get(HeaderAttempt); got != "2" {
			t.Errorf("request %d is attempt %s, want 2", i, got)
		}
	}
	// The pace is a token bucket of one: from the start, at most one
	// request more than 10 a second over any span (give or take 20 ms of
	// the receiver's clock).
	at := append([]time.Time{started}, func() []time.Time {
		var ts []time.Time
		for _, req := range requests {
			ts = append(ts, req.At)
		}
		return ts
	}()...)
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			if span := at[j].Sub(at[i]) + 20*time.Millisecond; float64(j-i) > 1+10*span.Seconds() {
				t.Errorf("%d requests within %v: faster than 10 a second", j-i, at[j].Sub(at[i]))
			}
		}
	}
	r = recoveryOf(t, a, r.ID)
	if r.Status != models.RecoveryCompleted || r.Total != 5 || r.Done != 5 || r.Succeeded != 4 || r.Failed != 1 || r.CompletedAt == nil {
		t.Errorf("recovery %+v, want completed 5 of 5, 4 succeeded, 1 failed", r)
	}
	for i, d := range failed {
		got := deliveryOf(t, a, d.EventID, w.ID)
		want := models.DeliverySucceeded
		if i == 1 {
			want = models.DeliveryFailed
		}
		if got.Status != want || got.Attempts != 2 || eventOf(t, a, d.EventID).SettledAt == nil {
			t.Errorf("delivery %d: %s after %d attempts (settled %v), want %s after 2, settled", i, got.Status, got.Attempts, eventOf(t, a, d.EventID).SettledAt, want)
		}
	}

	// Run again (a worker died after the end): nothing more is sent.
	if res, err := a.RecoverDeliveries(t.Context(), r.ID); err != nil || !res.Finished || len(rc.received()) != 11 {
		t.Errorf("again: %+v, %v, %d requests; want finished, none sent", res, err, len(rc.received()))
	}
}

// A run that died with a delivery claimed and unrecorded leaves it in
// flight: the next run attempts it first, then goes on after it.
func TestARecoveryAttemptsTheDeliveryItHadInFlight(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	var up atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		if up.Load() && n != 4 { // the one in flight fails again
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	w := createWebhook(t, a, rc.URL)
	failed := failedDeliveries(t, a, f, w, 3)
	up.Store(true)
	r := startRecovery(t, a, w, 50)
	// The dead run had done the first and claimed the second.
	if ok, err := a.Store.ClaimForRecovery(t.Context(), r.ID, &failed[0]); err != nil || !ok {
		t.Fatal(ok, err)
	}
	att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: failed[0].ID, Number: 2, StatusCode: 200, StartedAt: models.Now()}
	if err := a.Store.RecordRecoveryAttempt(t.Context(), r.ID, models.AttemptRecord{Attempt: att, Status: models.DeliverySucceeded}); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Store.ClaimForRecovery(t.Context(), r.ID, &failed[1]); err != nil || !ok {
		t.Fatal(ok, err)
	}

	if res, err := a.RecoverDeliveries(t.Context(), r.ID); err != nil || !res.Finished {
		t.Fatalf("recover: %+v, %v", res, err)
	}
	var ids []string
	for _, req := range rc.received()[3:] {
		ids = append(ids, req.Header.Get("Webhook-Id"))
	}
	if len(ids) != 2 || ids[0] != failed[1].ID || ids[1] != failed[2].ID {
		t.Errorf("sent to %v, want the one in flight, then the third: %s, %s", ids, failed[1].ID, failed[2].ID)
	}
	if r = recoveryOf(t, a, r.ID); r.Done != 3 || r.Succeeded != 2 || r.Failed != 1 || r.Total != 3 || r.InFlightID != nil {
		t.Errorf("recovery %+v, want 3 done, 2 succeeded, the one in flight failed", r)
	}
}

// Once the recovery is cancelled nothing more is claimed or sent; a paused
// webhook stops it, and the delivery it had claimed is failed again, unsent.
func TestARecoveryStopsWhenCancelledOrItsWebhookIsPaused(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	var up atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, n int) {
		if up.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	w := createWebhook(t, a, rc.URL)
	failed := failedDeliveries(t, a, f, w, 2)
	up.Store(true)

	cancelled := startRecovery(t, a, w, 50)
	if ended, err := a.Store.EndRecovery(t.Context(), cancelled.ID, models.RecoveryCancelled, ""); err != nil || !ended {
		t.Fatal(ended, err)
	}
	if res, err := a.RecoverDeliveries(t.Context(), cancelled.ID); err != nil || !res.Finished || len(rc.received()) != 2 {
		t.Fatalf("cancelled recovery: %+v, %v, %d requests; want finished, nothing sent", res, err, len(rc.received()))
	}

	r := startRecovery(t, a, w, 50)
	if err := a.Store.DB(t.Context()).Model(&models.Webhook{}).Where("id = ?", w.ID).Update("status", models.WebhookPaused).Error; err != nil {
		t.Fatal(err)
	}
	if res, err := a.RecoverDeliveries(t.Context(), r.ID); err != nil || !res.Finished || len(rc.received()) != 2 {
		t.Fatalf("recovery of a paused webhook: %+v, %v, %d requests; want finished, nothing sent", res, err, len(rc.received()))
	}
	if r = recoveryOf(t, a, r.ID); r.Status != models.RecoveryFailed || r.Reason == "" || r.Done != 0 {
		t.Errorf("recovery %+v, want failed with a reason, none done", r)
	}
	for _, d := range failed {
		if got := deliveryOf(t, a, d.EventID, w.ID); got.Status != models.DeliveryFailed || got.Attempts != 1 || eventOf(t, a, d.EventID).SettledAt == nil {
			t.Errorf("delivery %+v: want failed as before, settled", got)
		}
	}
}
