package activities

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// TestAReceiverThatAsksIsDisabledAtOnce: 410 Gone, or any answer with
// Hookflow-Delivery: disable, disables the webhook by hookflow with the
// answer and its time as the reason, holds that delivery (not failed) and
// starts the probe; the next event is held, unsent.
func TestAReceiverThatAsksIsDisabledAtOnce(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter, int){
		"HTTP 410 Gone": answering(http.StatusGone),
		"HTTP 200 OK with Hookflow-Delivery: disable": func(w http.ResponseWriter, _ int) {
			w.Header().Set(DeliveryControlHeader, "Disable")
			w.WriteHeader(http.StatusOK)
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := newActivities(t)
			runs := newFakeRuns()
			a.Runs = runs
			f := createAudience(t, a)
			rc := newReceiver(t, answer)
			w := createWebhook(t, a, rc.URL)
			e := createEvent(t, a, f, models.EventOpen)
			res, err := a.DeliverFirstAttempts(t.Context(), e.ID)
			if err != nil || res.Held != 1 || res.Failed != 0 || len(res.Pending) != 0 {
				t.Fatalf("first attempts: %+v %v; want held", res, err)
			}
			got, err := models.Get[models.Webhook](t.Context(), a.Store, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != models.WebhookDisabled || got.DisabledBy == nil || *got.DisabledBy != models.ActorHookflow ||
				got.DisabledReason == nil || !strings.HasPrefix(*got.DisabledReason, name+" at 20") {
				t.Errorf("webhook %s by %v: %v; want disabled by hookflow saying the answer and when", got.Status, got.DisabledBy, got.DisabledReason)
			}
			if d := deliveryOf(t, a, e.ID, w.ID); d.Status != models.DeliveryHeld || d.Attempts != 1 || d.CompletedAt != nil {
				t.Errorf("delivery %+v, want held after its one attempt", d)
			}
			if !slices.Equal(*runs.probed, []string{w.ID}) {
				t.Errorf("probes started %v, want [%s]", *runs.probed, w.ID)
			}
			later := createEvent(t, a, f, models.EventOpen)
			if res, err := a.DeliverFirstAttempts(t.Context(), later.ID); err != nil || res.Held != 1 {
				t.Errorf("a later event: %+v %v; want held", res, err)
			}
			if n := len(rc.received()); n != 1 {
				t.Errorf("receiver got %d requests, want the one that asked", n)
			}
		})
	}
}

// TestAWebhookFailingTooLongIsDisabled: failing_since is set by the first
// failure and cleared by a success; a failure that finds it older than
// DisableAfter disables the webhook and holds the delivery.
func TestAWebhookFailingTooLongIsDisabled(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	a.Settings.DisableAfter = time.Hour
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusOK, http.StatusServiceUnavailable, http.StatusServiceUnavailable))
	w := createWebhook(t, a, rc.URL)
	failingSince := func() *time.Time {
		got, err := models.Get[models.Webhook](t.Context(), a.Store, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.FailingSince
	}

	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	first := failingSince()
	if first == nil {
		t.Fatal("no failing_since after a failed attempt")
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if res, err := a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d.ID}); err != nil || res.Status != models.DeliverySucceeded {
		t.Fatalf("second attempt: %+v %v", res, err)
	}
	if fs := failingSince(); fs != nil {
		t.Errorf("failing_since %v after a success, want cleared", fs)
	}

	e2 := createEvent(t, a, f, models.EventOpen)
	if res, err := a.DeliverFirstAttempts(t.Context(), e2.ID); err != nil || len(res.Pending) != 1 {
		t.Fatalf("first attempt of the second event: %+v %v", res, err)
	}
	// The receiver has failed for longer than DisableAfter by now.
	if err := a.Store.DB(t.Context()).Model(&models.Webhook{}).Where("id = ?", w.ID).UpdateColumn("failing_since", models.Now().Add(-2*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	d2 := deliveryOf(t, a, e2.ID, w.ID)
	res, err := a.AttemptDelivery(t.Context(), AttemptRequest{DeliveryID: d2.ID})
	if err != nil || res.Status != models.DeliveryHeld {
		t.Fatalf("attempt after the window: %+v %v; want held", res, err)
	}
	got, err := models.Get[models.Webhook](t.Context(), a.Store, w.ID)
	if err != nil || got.Status != models.WebhookDisabled || *got.DisabledBy != models.ActorHookflow || !strings.HasPrefix(*got.DisabledReason, "no successful delivery since ") {
		t.Errorf("webhook %+v (err %v), want disabled by hookflow for failing too long", got, err)
	}
	if !slices.Equal(*runs.probed, []string{w.ID}) {
		t.Errorf("probes started %v, want [%s]", *runs.probed, w.ID)
	}
}

// TestAProbeThatSucceedsRecoversTheWebhook: a probe is a signed
// webhook.probe event; its time and result are kept; the first 2xx makes
// the webhook active again and releases what it held. It never moves a
// webhook its owner disabled.
func TestAProbeThatSucceedsRecoversTheWebhook(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusGone, http.StatusServiceUnavailable, http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	for range 2 {
		if _, err := a.DeliverFirstAttempts(t.Context(), createEvent(t, a, f, models.EventOpen).ID); err != nil {
			t.Fatal(err)
		}
	}
	out, err := a.ProbeWebhook(t.Context(), ProbeRequest{WebhookID: w.ID, Send: true})
	if err != nil || out.Recovered || out.Stop || out.Result != "HTTP 503" {
		t.Fatalf("first probe: %+v %v; want HTTP 503, go on", out, err)
	}
	got, _ := models.Get[models.Webhook](t.Context(), a.Store, w.ID)
	if got.LastProbeAt == nil || got.LastProbeResult == nil || *got.LastProbeResult != "HTTP 503" {
		t.Errorf("last probe %v %v, want kept", got.LastProbeAt, got.LastProbeResult)
	}
	probe := rc.received()[1]
	if probe.Header.Get("webhook-signature") == "" || !strings.Contains(string(probe.Body), `"webhook.probe"`) {
		t.Errorf("probe %v %s, want a signed webhook.probe event", probe.Header, probe.Body)
	}
	out, err = a.ProbeWebhook(t.Context(), ProbeRequest{WebhookID: w.ID, Send: true})
	if err != nil || !out.Recovered || out.Held != 2 {
		t.Fatalf("second probe: %+v %v; want recovered with 2 held", out, err)
	}
	if got, _ := models.Get[models.Webhook](t.Context(), a.Store, w.ID); got.Status != models.WebhookActive || got.DisabledBy != nil {
		t.Errorf("webhook %+v, want active again", got)
	}
	if !slices.Equal(*runs.released, []string{w.ID}) {
		t.Errorf("released %v, want [%s]", *runs.released, w.ID)
	}

	if moved, err := a.Store.TransitionWebhook(t.Context(), w.ID, models.DisableWebhook(models.ActorOwner, "mine")); err != nil || !moved {
		t.Fatal(moved, err)
	}
	out, err = a.ProbeWebhook(t.Context(), ProbeRequest{WebhookID: w.ID})
	if err != nil || !out.Stop {
		t.Errorf("look at a webhook its owner disabled: %+v %v; want stop", out, err)
	}
	if n := len(rc.received()); n != 3 {
		t.Errorf("receiver got %d requests, want 3 (a look sends nothing)", n)
	}
}

// TestDisableAndRecoveryAreAnnounced: webhook.disabled and
// webhook.recovered reach the account's other webhooks that subscribe,
// once each however often the announcement is retried.
func TestDisableAndRecoveryAreAnnounced(t *testing.T) {
	a := newActivities(t)
	runs := newFakeRuns()
	a.Runs = runs
	f := createAudience(t, a)
	w := createWebhook(t, a, newReceiver(t, answering(http.StatusGone)).URL)
	createWebhook(t, a, newReceiver(t, answering(http.StatusOK)).URL, func(o *models.Webhook) {
		o.Events = []models.EventType{models.EventWebhookDisabled, models.EventWebhookRecovered}
	})
	if _, err := a.DeliverFirstAttempts(t.Context(), createEvent(t, a, f, models.EventOpen).ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := a.AnnounceDisabled(t.Context(), w.ID); err != nil {
			t.Fatal(err)
		}
	}
	at := models.Now()
	for range 2 {
		if err := a.AnnounceRecovered(t.Context(), w.ID, 1, at); err != nil {
			t.Fatal(err)
		}
	}
	started := runs.startedEvents()
	if len(started) != 2 {
		t.Fatalf("operational events started %v, want webhook.disabled and webhook.recovered once each", started)
	}
	var types []models.EventType
	for _, id := range started {
		e, err := models.Get[models.Event](t.Context(), a.Store, id)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, e.Type)
		if e.Type == models.EventWebhookRecovered && e.Data["released"] == nil {
			t.Errorf("webhook.recovered data %v, want how many were released", e.Data)
		}
	}
	if !slices.Equal(types, []models.EventType{models.EventWebhookDisabled, models.EventWebhookRecovered}) {
		t.Errorf("announced %v", types)
	}
}
