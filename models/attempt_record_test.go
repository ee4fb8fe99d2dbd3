package models_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// TestConcurrentRecordsAnswerEachOnItsOwn: attempts recorded at once (an
// event's fan-out, concurrent activities), which share transactions, each
// get their own answer: a delivery that is no
// longer pending is a conflict for its caller alone, and stores nothing of
// its attempt. Every record gives its in-flight slot back and keeps its
// webhook's failing_since.
func TestConcurrentRecordsAnswerEachOnItsOwn(t *testing.T) {
	t.Parallel()
	store := modelstest.Open(t)
	ctx := t.Context()
	failingSince := models.Now().Add(-time.Hour)
	healthy := deliveryStoreWebhook(t, store, nil)
	failing := deliveryStoreWebhook(t, store, func(w *models.Webhook) { w.FailingSince = &failingSince })
	const n = 40
	type job struct {
		d      models.Delivery
		w      *models.Webhook
		status models.DeliveryStatus
		holder string
	}
	jobs := make([]job, n)
	now := models.Now()
	for i := range jobs {
		w, status := healthy, models.DeliverySucceeded
		switch i % 4 {
		case 1:
			status = models.DeliveryPending
		case 2:
			w = failing
		case 3:
			w, status = failing, models.DeliveryFailed
		}
		jobs[i] = job{w: w, status: status, holder: "holder-" + models.NewID(models.PrefixAttempt)}
		jobs[i].d = models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: models.Owned{AccountID: models.DefaultAccountID},
			EventID: models.NewID(models.PrefixEvent), EventType: models.EventOpen, EventCount: 1, WebhookID: w.ID, Status: models.DeliveryPending}
		if i == 7 {
			jobs[i].d.Status = models.DeliverySucceeded // finished by someone else: a conflict
		}
		if err := store.Create(ctx, &jobs[i].d); err != nil {
			t.Fatal(err)
		}
		if i == 11 {
			// Its attempt 1 is stored already, while it is still pending:
			// storing it again fails the whole shared transaction, and then
			// each record is written on its own.
			dup := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: jobs[i].d.ID, Number: 1, StatusCode: 503, StartedAt: now}
			if err := store.Create(ctx, dup); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := store.AcquireFlowSlot(ctx, w.ID, n, jobs[i].holder, now, time.Hour); err != nil || !got {
			t.Fatalf("slot for job %d: %v %v", i, got, err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	started := make([]time.Time, n)
	for i := range jobs {
		started[i] = now.Add(time.Duration(i) * time.Millisecond) // each its own, to tell them apart
	}
	for i := range jobs {
		wg.Go(func() {
			j := jobs[i]
			att := &models.DeliveryAttempt{ID: models.NewID(models.PrefixAttempt), DeliveryID: j.d.ID, Number: 1, StatusCode: 200, StartedAt: started[i]}
			var next *time.Time
			if j.status == models.DeliveryPending {
				at := models.Now().Add(time.Minute)
				next = &at
			}
			errs[i] = store.RecordAttempt(ctx, models.AttemptRecord{Attempt: att, Status: j.status, NextAttemptAt: next, Webhook: j.w, InFlightHolder: j.holder})
		})
	}
	wg.Wait()
	for i, j := range jobs {
		var attempts int64
		if err := store.DB(ctx).Model(&models.DeliveryAttempt{}).Where("delivery_id = ?", j.d.ID).Count(&attempts).Error; err != nil {
			t.Fatal(err)
		}
		got, err := models.Get[models.Delivery](ctx, store, j.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			if !errors.Is(errs[i], models.ErrConflict) || attempts != 0 || got.Status != models.DeliverySucceeded {
				t.Errorf("finished delivery: err %v, %d attempts stored, status %s; want ErrConflict, none, succeeded", errs[i], attempts, got.Status)
			}
			continue
		}
		if i == 11 {
			if !errors.Is(errs[i], models.ErrConflict) || attempts != 1 || got.Status != models.DeliveryPending || got.Attempts != 0 {
				t.Errorf("attempt recorded twice: err %v, %d attempts stored, %s after %d; want ErrConflict, the first alone, pending as it was", errs[i], attempts, got.Status, got.Attempts)
			}
			continue
		}
		if errs[i] != nil || attempts != 1 || got.Status != j.status || got.Attempts != 1 {
			t.Errorf("job %d: err %v, %d attempts stored, delivery %s after %d; want nil, 1, %s after 1", i, errs[i], attempts, got.Status, got.Attempts, j.status)
		}
		if got.LastAttemptAt == nil || !got.LastAttemptAt.Equal(started[i]) {
			t.Errorf("job %d: last attempt at %v, want its own %v", i, got.LastAttemptAt, started[i])
		}
		pending := got.Status == models.DeliveryPending
		if pending != (got.NextAttemptAt != nil) || pending == (got.CompletedAt != nil) {
			t.Errorf("job %d: %s delivery with next attempt %v, completed %v", i, got.Status, got.NextAttemptAt, got.CompletedAt)
		}
	}
	for _, w := range []*models.Webhook{healthy, failing} {
		if inFlight, err := store.FlowInFlight(ctx, w.ID, models.Now()); err != nil || inFlight != 0 {
			t.Errorf("webhook %s: %d requests still in flight (%v), want every slot given back", w.ID, inFlight, err)
		}
	}
	// The healthy webhook was read with no failing_since, and some of its
	// attempts failed: they set it. (The failing webhook's is left to the
	// order its success and failures were written in.)
	got, err := models.Get[models.Webhook](ctx, store, healthy.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FailingSince == nil {
		t.Error("the healthy webhook's failed attempts did not set its failing_since")
	}
}
