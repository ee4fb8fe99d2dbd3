package models_test

import (
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
)

// webhookIn creates a webhook in status as the life cycle leaves it there:
// verified in the statuses only a verification reaches, with who and why
// when disabled.
func webhookIn(t *testing.T, store *models.Store, status models.WebhookStatus) *models.Webhook {
	t.Helper()
	return deliveryStoreWebhook(t, store, func(w *models.Webhook) {
		verified := models.Now().Add(-2 * time.Hour)
		w.Status, w.VerifiedAt, w.ActiveSince = status, &verified, nil
		switch status {
		case models.WebhookUnverified, models.WebhookVerificationFailed:
			w.VerifiedAt = nil
		case models.WebhookActive, models.WebhookPaused:
			w.ActiveSince = &verified
		case models.WebhookDisabled:
			by, reason := models.ActorOwner, "earlier reason"
			w.DisabledBy, w.DisabledReason, w.ActiveSince = &by, &reason, &verified
		}
	})
}

// TestWebhookTransitionTable tries every operation from every status: it
// moves exactly where the life cycle allows it, writes what it promises,
// and anywhere else changes nothing.
func TestWebhookTransitionTable(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	at := models.Now()
	const (
		U = models.WebhookUnverified
		A = models.WebhookActive
		P = models.WebhookPaused
		D = models.WebhookDisabled
		F = models.WebhookVerificationFailed
	)
	const newURL = "https://example.com/new"
	ops := []struct {
		name    string
		op      func(w *models.Webhook) models.WebhookTransition
		allowed []models.WebhookStatus
		check   func(t *testing.T, before, after *models.Webhook)
	}{
		{"verify", func(w *models.Webhook) models.WebhookTransition { return models.VerifyWebhook(w.URL, at) }, []models.WebhookStatus{U, F},
			func(t *testing.T, _, w *models.Webhook) {
				if !timeIs(w.VerifiedAt, at) || !timeIs(w.ActiveSince, at) {
					t.Errorf("verified at %v, active since %v; want both %v", w.VerifiedAt, w.ActiveSince, at)
				}
			}},
		{"expire verification", func(*models.Webhook) models.WebhookTransition { return models.ExpireWebhookVerification() }, []models.WebhookStatus{U},
			func(t *testing.T, _, w *models.Webhook) {
				if w.VerifiedAt != nil || w.ActiveSince != nil {
					t.Errorf("verification_failed webhook verified at %v, active since %v", w.VerifiedAt, w.ActiveSince)
				}
			}},
		{"pause", func(*models.Webhook) models.WebhookTransition { return models.PauseWebhook() }, []models.WebhookStatus{A, D},
			func(t *testing.T, before, w *models.Webhook) {
				if !sameTime(w.ActiveSince, before.ActiveSince) || w.DisabledBy != nil || w.DisabledReason != nil || !timeIs(w.VerifiedAt, *before.VerifiedAt) {
					t.Errorf("paused webhook %+v, want active_since and verification kept, no disabled_*", w)
				}
			}},
		{"resume", func(*models.Webhook) models.WebhookTransition { return models.ResumeWebhook() }, []models.WebhookStatus{P},
			func(t *testing.T, before, w *models.Webhook) {
				if !sameTime(w.ActiveSince, before.ActiveSince) {
					t.Errorf("resumed webhook active since %v, want it kept at %v", w.ActiveSince, before.ActiveSince)
				}
			}},
		{"disable", func(*models.Webhook) models.WebhookTransition {
			return models.DisableWebhook(models.ActorOwner, "too noisy")
		},
			[]models.WebhookStatus{A, P},
			func(t *testing.T, before, w *models.Webhook) {
				if w.DisabledBy == nil || *w.DisabledBy != models.ActorOwner || w.DisabledReason == nil || *w.DisabledReason != "too noisy" || !sameTime(w.ActiveSince, before.ActiveSince) {
					t.Errorf("disabled webhook by %v because %v, active since %v", w.DisabledBy, w.DisabledReason, w.ActiveSince)
				}
			}},
		{"disable by hookflow", func(*models.Webhook) models.WebhookTransition {
			return models.DisableWebhookByHookflow("HTTP 410 Gone")
		},
			[]models.WebhookStatus{A},
			func(t *testing.T, before, w *models.Webhook) {
				if w.DisabledBy == nil || *w.DisabledBy != models.ActorHookflow || w.DisabledReason == nil || *w.DisabledReason != "HTTP 410 Gone" || !sameTime(w.ActiveSince, before.ActiveSince) {
					t.Errorf("disabled webhook by %v because %v, active since %v", w.DisabledBy, w.DisabledReason, w.ActiveSince)
				}
			}},
		{"re-enable", func(*models.Webhook) models.WebhookTransition { return models.EnableWebhook() }, []models.WebhookStatus{D},
			func(t *testing.T, before, w *models.Webhook) {
				if !sameTime(w.ActiveSince, before.ActiveSince) || w.DisabledBy != nil || w.DisabledReason != nil {
					t.Errorf("re-enabled webhook %+v, want active since kept at %v and no disabled_*", w, before.ActiveSince)
				}
			}},
		{"change URL", func(*models.Webhook) models.WebhookTransition { return models.ChangeWebhookURL(newURL) }, []models.WebhookStatus{U, A, P, D, F},
			func(t *testing.T, _, w *models.Webhook) {
				if w.URL != newURL || w.VerifiedAt != nil || w.ActiveSince != nil || w.DisabledBy != nil || w.DisabledReason != nil {
					t.Errorf("webhook with a new URL %+v, want it unproven", w)
				}
			}},
	}
	for _, op := range ops {
		for _, from := range []models.WebhookStatus{U, A, P, D, F} {
			t.Run(op.name+" from "+string(from), func(t *testing.T) {
				before := webhookIn(t, store, from)
				transition := op.op(before)
				allowed := false
				for _, s := range op.allowed {
					allowed = allowed || s == from
				}
				if transition.Allows(from) != allowed {
					t.Errorf("Allows(%s) = %v, want %v", from, !allowed, allowed)
				}
				moved, err := store.TransitionWebhook(ctx, before.ID, transition)
				if err != nil {
					t.Fatal(err)
				}
				after, err := models.Get[models.Webhook](ctx, store, before.ID)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case moved != allowed:
					t.Errorf("moved = %v, want %v", moved, allowed)
				case !allowed:
					if after.Status != from || after.Version != before.Version || after.URL != before.URL {
						t.Errorf("a refused %s changed the webhook: %+v", op.name, after)
					}
				default:
					if after.Status != transition.To || after.Version != before.Version+1 {
						t.Errorf("after %s: status %s version %d, want %s version %d", op.name, after.Status, after.Version, transition.To, before.Version+1)
					}
					op.check(t, before, after)
				}
			})
		}
	}
}

func TestVerifyWebhookOnlyForTheURLProven(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	w := webhookIn(t, store, models.WebhookUnverified)
	if moved, err := store.TransitionWebhook(ctx, w.ID, models.VerifyWebhook("https://example.com/earlier", models.Now())); err != nil || moved {
		t.Errorf("a proof of another URL: moved %v, err %v; want refused", moved, err)
	}
	if moved, err := store.TransitionWebhook(ctx, "wh_gone", models.VerifyWebhook(w.URL, models.Now())); err != nil || moved {
		t.Errorf("verifying a missing webhook: moved %v, err %v; want nothing", moved, err)
	}
	var n int64
	if err := store.DB(ctx).Model(&models.Webhook{}).Where("id = ?", "wh_gone").Count(&n).Error; err != nil || n != 0 {
		t.Errorf("a transition of a missing webhook created %d rows (err %v)", n, err)
	}
}

func TestOwnerStatusChange(t *testing.T) {
	for _, tc := range []struct {
		from, to models.WebhookStatus
		want     string // transition name; "" for none; "refused"
	}{
		{models.WebhookActive, models.WebhookActive, ""},
		{models.WebhookActive, models.WebhookPaused, "pause"},
		{models.WebhookActive, models.WebhookDisabled, "disable"},
		{models.WebhookPaused, models.WebhookActive, "resume"},
		{models.WebhookPaused, models.WebhookDisabled, "disable"},
		{models.WebhookDisabled, models.WebhookActive, "re-enable"},
		{models.WebhookDisabled, models.WebhookPaused, "pause"},
		{models.WebhookUnverified, models.WebhookActive, "refused"},
		{models.WebhookUnverified, models.WebhookPaused, "refused"},
		{models.WebhookVerificationFailed, models.WebhookDisabled, "refused"},
		{models.WebhookActive, models.WebhookUnverified, "refused"},
		{models.WebhookPaused, models.WebhookVerificationFailed, "refused"},
	} {
		tr, err := models.OwnerStatusChange(tc.from, tc.to)
		got := ""
		switch {
		case err != nil:
			got = "refused"
		case tr != nil:
			got = tr.Name
			if tr.To != tc.to || !tr.Allows(tc.from) {
				t.Errorf("%s -> %s: %s goes %v -> %s", tc.from, tc.to, tr.Name, tr.From, tr.To)
			}
		}
		if got != tc.want {
			t.Errorf("%s -> %s: %q (err %v), want %q", tc.from, tc.to, got, err, tc.want)
		}
	}
}

func timeIs(got *time.Time, want time.Time) bool { return got != nil && got.Equal(want) }

func sameTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }

// TestRecoverOnlyWhatHookflowDisabled: a probe's success re-activates a
// webhook hookflow disabled, never one its owner disabled.
func TestRecoverOnlyWhatHookflowDisabled(t *testing.T) {
	store := modelstest.Open(t)
	ctx := t.Context()
	byOwner := webhookIn(t, store, models.WebhookDisabled)
	if moved, err := store.TransitionWebhook(ctx, byOwner.ID, models.RecoverWebhook()); err != nil || moved {
		t.Errorf("recovering a webhook its owner disabled: moved %v, err %v; want refused", moved, err)
	}
	byHookflow := webhookIn(t, store, models.WebhookActive)
	if moved, err := store.TransitionWebhook(ctx, byHookflow.ID, models.DisableWebhookByHookflow("HTTP 410 Gone at 2026-12-02T01:02:03Z")); err != nil || !moved {
		t.Fatalf("disable by hookflow: moved %v, err %v", moved, err)
	}
	if moved, err := store.TransitionWebhook(ctx, byHookflow.ID, models.RecoverWebhook()); err != nil || !moved {
		t.Fatalf("recover: moved %v, err %v", moved, err)
	}
	w, err := models.Get[models.Webhook](ctx, store, byHookflow.ID)
	if err != nil || w.Status != models.WebhookActive || w.DisabledBy != nil || w.DisabledReason != nil || !sameTime(w.ActiveSince, byHookflow.ActiveSince) {
		t.Errorf("recovered webhook %+v (err %v), want active, no disabled_*, active_since kept", w, err)
	}
}
