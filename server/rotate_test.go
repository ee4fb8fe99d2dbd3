package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	id := createWebhook(t, h, []string{"open"}, nil)
	stored := func() *models.Webhook {
		t.Helper()
		w, err := models.Get[models.Webhook](t.Context(), store, id)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := stored().Secret

	before := time.Now()
	r := do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"grace": "2h"})
	want(t, r, http.StatusOK)
	w := stored()
	if r.str("id") != id || !strings.HasPrefix(r.str("secret"), "whsec_") || r.str("secret") != w.Secret || w.Secret == first {
		t.Fatalf("rotation answered %s; stored secret %q, first %q", r.Raw, w.Secret, first)
	}
	expires, err := time.Parse(time.RFC3339Nano, r.str("previous_secret_expires_at"))
	if err != nil || expires.Before(before.Add(2*time.Hour-time.Second)) || expires.After(time.Now().Add(2*time.Hour)) {
		t.Errorf("previous_secret_expires_at %q (err %v), want in 2 h", r.str("previous_secret_expires_at"), err)
	}
	if w.PreviousSecret != first || w.PreviousSecretExpiresAt == nil {
		t.Errorf("stored previous secret %q until %v, want the first one", w.PreviousSecret, w.PreviousSecretExpiresAt)
	}
	if got := w.SigningSecrets(time.Now()); len(got) != 2 || got[0] != w.Secret || got[1] != first {
		t.Errorf("signing secrets during grace: %v, want new then old", got)
	}
	if got := w.SigningSecrets(expires.Add(time.Second)); len(got) != 1 || got[0] != w.Secret {
		t.Errorf("signing secrets after grace: %v, want the new one only", got)
	}
	got := do(t, h, http.MethodGet, "/v1/webhooks/"+id, nil)
	for _, secret := range []string{first, w.Secret} {
		if strings.Contains(string(got.Raw), strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("GET leaks a secret: %s", got.Raw)
		}
	}

	second := w.Secret
	r = do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", map[string]any{})
	want(t, r, http.StatusOK)
	if w := stored(); w.PreviousSecret != second || w.PreviousSecretExpiresAt.Sub(time.Now()) < 23*time.Hour {
		t.Errorf("default grace: previous %q until %v, want the second secret for 24 h", w.PreviousSecret, w.PreviousSecretExpiresAt)
	}
	r = do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"grace": "0s"})
	want(t, r, http.StatusOK)
	if r.Body["previous_secret_expires_at"] != nil {
		t.Errorf("grace 0 answered %s, want previous_secret_expires_at null", r.Raw)
	}
	if w := stored(); w.PreviousSecret != "" || len(w.SigningSecrets(time.Now())) != 1 {
		t.Errorf("grace 0 kept previous secret %q", w.PreviousSecret)
	}

	for name, body := range map[string]any{
		"over 7 days":  map[string]any{"grace": "169h"},
		"negative":     map[string]any{"grace": "-1h"},
		"not duration": map[string]any{"grace": "tomorrow"},
	} {
		t.Run(name, func(t *testing.T) {
			secret := stored().Secret
			wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", body), http.StatusUnprocessableEntity, "grace")
			if stored().Secret != secret {
				t.Error("a refused rotation changed the secret")
			}
		})
	}
	wantProblem(t, do(t, h, http.MethodPost, "/v1/webhooks/wh_unknown/rotate-secret", map[string]any{}), http.StatusNotFound)
}
