package server_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/signing"
)

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	var store *models.Store
	wf := &workflowsDouble{}
	h := newServer(t, keepStore(&store), withWorkflows(wf))

	t.Run("failed check answers each line", func(t *testing.T) {
		id := createWebhook(t, h, []string{"open"}, nil)
		checks := []string{
			"GET https://93.184.216.34/hooks/hookflow-x.txt: 404",
			"GET https://93.184.216.34/hookflow-x.txt: connection refused",
		}
		wf.answerVerifyNow(func(context.Context, string) (activities.VerificationResult, error) {
			return activities.VerificationResult{Passed: false, Checks: checks}, nil
		})
		r := do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil)
		wantProblem(t, r, http.StatusUnprocessableEntity, "url")
		raw, _ := r.Body["errors"].([]any)
		var reasons []string
		for _, e := range raw {
			m, _ := e.(map[string]any)
			if m["field"] != "url" {
				t.Errorf("error %v is not about url", m)
			}
			s, _ := m["reason"].(string)
			reasons = append(reasons, s)
		}
		if !slices.Equal(reasons, checks) {
			t.Errorf("reasons %q, want the check lines %q", reasons, checks)
		}
		if got := wf.recorded().VerifyNow; countOf(got, id) != 1 {
			t.Errorf("VerifyNow called with %v, want %s once", got, id)
		}
		if got := do(t, h, http.MethodGet, "/v1/webhooks/"+id, nil); got.str("status") != "unverified" {
			t.Errorf("failed check changed the webhook: %s", got.Raw)
		}
	})

	t.Run("passed check answers the active webhook", func(t *testing.T) {
		id := createWebhook(t, h, []string{"open"}, nil)
		wf.answerVerifyNow(func(ctx context.Context, webhookID string) (activities.VerificationResult, error) {
			w, err := models.Get[models.Webhook](ctx, store, webhookID)
			if err != nil {
				return activities.VerificationResult{}, err
			}
			if ok, err := store.TransitionWebhook(ctx, w.ID, models.VerifyWebhook(w.URL, models.Now())); err != nil || !ok {
				return activities.VerificationResult{}, errors.Join(err, errors.New("webhook not activated"))
			}
			return activities.VerificationResult{Passed: true, Checks: []string{"GET " + w.URL + ": 200"}}, nil
		})
		r := do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil)
		want(t, r, http.StatusOK)
		if r.str("id") != id || r.str("status") != "active" || r.str("verified_at") == "" || r.str("active_since") == "" {
			t.Errorf("verify answered %s, want the active webhook", r.Raw)
		}
		if _, ok := r.Body["secret"]; ok {
			t.Errorf("verify shows the secret: %s", r.Raw)
		}

		t.Run("again without checking", func(t *testing.T) {
			calls := len(wf.recorded().VerifyNow)
			r := do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil)
			want(t, r, http.StatusOK)
			if r.str("status") != "active" {
				t.Errorf("verify of an active webhook answered %s", r.Raw)
			}
			if n := len(wf.recorded().VerifyNow); n != calls {
				t.Errorf("verify of an active webhook called VerifyNow %d times", n-calls)
			}
		})
	})

	t.Run("check that cannot run", func(t *testing.T) {
		id := createWebhook(t, h, []string{"open"}, nil)
		wf.answerVerifyNow(func(context.Context, string) (activities.VerificationResult, error) {
			return activities.VerificationResult{}, errors.New("temporal unreachable")
		})
		wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil), http.StatusServiceUnavailable)
	})

	t.Run("unknown webhook", func(t *testing.T) {
		calls := len(wf.recorded().VerifyNow)
		wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/wh_unknown/verify", nil), http.StatusNotFound)
		if n := len(wf.recorded().VerifyNow); n != calls {
			t.Errorf("VerifyNow called for an unknown webhook")
		}
	})

	t.Run("verification workflow follows the webhook", func(t *testing.T) {
		id := createWebhook(t, h, []string{"open"}, nil)
		if got := wf.recorded().Verifications; countOf(got, id) != 1 {
			t.Fatalf("StartVerification calls %v, want %s once after create", got, id)
		}
		want(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"description": "same URL"}), http.StatusOK)
		if got := wf.recorded().Verifications; countOf(got, id) != 1 {
			t.Errorf("StartVerification called again for a change that keeps the URL: %v", got)
		}
		want(t, do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"url": "https://93.184.216.34/other"}), http.StatusOK)
		if got := wf.recorded().Verifications; countOf(got, id) != 2 {
			t.Errorf("StartVerification calls %v, want %s twice after the URL changed", got, id)
		}
		if got := wf.recorded().Stops; countOf(got, id) != 0 {
			t.Errorf("StopVerification called before delete: %v", got)
		}
		want(t, do(t, h, http.MethodDelete, "/v1/webhooks/"+id, nil), http.StatusNoContent)
		if got := wf.recorded().Stops; countOf(got, id) != 1 {
			t.Errorf("StopVerification calls %v, want %s once after delete", got, id)
		}
	})
}

func TestVerifyWebhookWithoutWorkflows(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	id := createWebhook(t, h, []string{"open"}, nil)
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil), http.StatusServiceUnavailable)

	markVerified(t, store, id)
	want(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/verify", nil), http.StatusOK)
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	t.Run("configured keys", func(t *testing.T) {
		t.Parallel()
		var keys []signing.KeyPair
		var public []signing.PublicKey
		for range 2 {
			k, err := signing.GenerateKeyPair()
			if err != nil {
				t.Fatal(err)
			}
			keys, public = append(keys, k), append(public, k.Public())
		}
		h := newServer(t, withSigningKeys(public...))
		r := do(t, h, http.MethodGet, "/v1/signing-keys", nil)
		want(t, r, http.StatusOK)
		raw, _ := r.Body["keys"].([]any)
		if len(raw) != len(keys) || len(r.Body) != 1 {
			t.Fatalf("answered %s, want {keys: [%d keys]}", r.Raw, len(keys))
		}
		for i, k := range keys {
			got, _ := raw[i].(map[string]any)
			wantKey := map[string]any{"id": k.ID, "algorithm": "ed25519", "public_key": k.PublicKeyString()}
			if !strings.HasPrefix(k.PublicKeyString(), "whpk_") {
				t.Errorf("public key %q lacks whpk_", k.PublicKeyString())
			}
			if len(got) != len(wantKey) || got["id"] != wantKey["id"] || got["algorithm"] != "ed25519" || got["public_key"] != wantKey["public_key"] {
				t.Errorf("key %d is %v, want %v", i, got, wantKey)
			}
		}
		wantProblem(t, do(t, h, http.MethodGet, "/v1/signing-keys", nil, withToken("")), http.StatusUnauthorized)
	})

	t.Run("none", func(t *testing.T) {
		t.Parallel()
		r := do(t, newServer(t), http.MethodGet, "/v1/signing-keys", nil)
		want(t, r, http.StatusOK)
		if string(r.Raw) != `{"keys":[]}` {
			t.Errorf("answered %s, want {\"keys\":[]}", r.Raw)
		}
	})
}
