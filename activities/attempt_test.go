package activities

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// AttemptDelivery answers with where the attempt left the delivery,
// including when its next attempt is due, as recorded in its row.
func TestAttemptDeliveryTellsWhenTheNextAttemptIsDue(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	first, err := a.DeliverFirstAttempts(t.Context(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if p := first.Pending; len(p) != 1 || p[0].Attempts != 1 || p[0].NextAttemptAt == nil || !p[0].NextAttemptAt.Equal(*d.NextAttemptAt) {
		t.Fatalf("pending %+v, want one with its attempt count and the next_attempt_at of its row (%v)", p, d.NextAttemptAt)
	}
	if first.FirstRetryDelay != DefaultFirstRetryDelay || first.MaxRetryDelay != DefaultMaxRetryDelay || first.RetryWindow != DefaultRetryWindow {
		t.Errorf("first attempts result carries settings %+v, want the defaults", first.RetrySettings)
	}

	before := time.Now()
	res, err := a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	d = deliveryOf(t, a, e.ID, w.ID)
	if res.Status != models.DeliveryPending || res.Attempts != 2 || res.NextAttemptAt == nil || !res.NextAttemptAt.Equal(*d.NextAttemptAt) {
		t.Fatalf("result %+v, want pending after two attempts, due at the row's next_attempt_at %v", res, d.NextAttemptAt)
	}
	// The backoff after the second failure: between 5 s and 10 s.
	if wait := res.NextAttemptAt.Sub(before); wait < DefaultFirstRetryDelay-time.Second || wait > 2*DefaultFirstRetryDelay+time.Second {
		t.Errorf("next attempt in %v, want the second step of the backoff", wait)
	}

	res, err = a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID})
	if err != nil || res.Status != models.DeliverySucceeded || res.Attempts != 3 || res.NextAttemptAt != nil {
		t.Fatalf("third attempt: %+v, %v; want succeeded", res, err)
	}
	if eventOf(t, a, e.ID).SettledAt == nil {
		t.Error("the last outcome did not settle the event")
	}
	// Asked again (its result was lost), it answers without a request.
	res, err = a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID})
	if err != nil || res.Status != models.DeliverySucceeded || len(rc.received()) != 3 {
		t.Errorf("again: %+v, %v, %d requests; want succeeded and no fourth request", res, err, len(rc.received()))
	}
}

// A resend starts a new series of attempts: the backoff after its first
// failure is the first step again, not the step of the delivery's
// attempt count.
func TestAResendStartsTheBackoffOver(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusNotFound, http.StatusServiceUnavailable))
	w := createWebhook(t, a, rc.URL)
	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	// Pretend many attempts came before, as after a retry window ran out.
	if err := a.Store.DB(t.Context()).Model(&models.Delivery{}).Where("id = ?", d.ID).Update("attempts", 12).Error; err != nil {
		t.Fatal(err)
	}
	d.Attempts = 12
	if ok, err := a.Store.ReopenDelivery(t.Context(), &d, models.DeliveryFailed); err != nil || !ok {
		t.Fatalf("reopen: %v, %v", ok, err)
	}
	before := time.Now()
	res, err := a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID, PriorAttempts: 12})
	if err != nil || res.Status != models.DeliveryPending || res.Attempts != 13 {
		t.Fatalf("resent attempt: %+v, %v; want pending after attempt 13", res, err)
	}
	if wait := res.NextAttemptAt.Sub(before); wait > DefaultFirstRetryDelay+time.Second {
		t.Errorf("next attempt in %v, want the first backoff step (at most %v)", wait, DefaultFirstRetryDelay)
	}
	if got := rc.received()[1].Header.Get(HeaderAttempt); got != "13" {
		t.Errorf("the resent attempt was numbered %s, want 13", got)
	}
}

func TestAttemptsLeftFollowTheLongestBackoff(t *testing.T) {
	s := RetrySettings{FirstRetryDelay: time.Second, MaxRetryDelay: 4 * time.Second}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		failed   int
		next     time.Time
		deadline time.Time
		want     int
	}{
		{0, now, now, 0},
		{0, now, now.Add(time.Nanosecond), 1},
		// At 0, then 1, 3, 7, 11 s (waits of 1, 2, 4, 4): five before 12 s.
		{0, now, now.Add(12 * time.Second), 5},
		// After three failures the waits are 4 s: at 0, 4, 8 before 12 s.
		{3, now, now.Add(12 * time.Second), 3},
		{1, now.Add(time.Minute), now.Add(12 * time.Second), 0},
	} {
		if got := s.AttemptsLeft(c.failed, c.next, c.deadline); got != c.want {
			t.Errorf("AttemptsLeft(%d, %v, %v) = %d, want %d", c.failed, c.next.Sub(now), c.deadline.Sub(now), got, c.want)
		}
	}
	if got := (RetrySettings{}).AttemptsLeft(0, now, now.Add(DefaultFirstRetryDelay)); got != 1 {
		t.Errorf("with the default delays: %d, want 1", got)
	}
}
