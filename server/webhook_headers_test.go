package server_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestWebhookCustomHeaders(t *testing.T) {
	t.Parallel()
	var store *models.Store
	h := newServer(t, keepStore(&store))
	key := "k-0123456789abcdef"

	r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{
		"url": publicHook, "events": []string{"open"}, "headers": map[string]string{"X-Api-Key": key, "X-Tenant": "acme"},
	})
	want(t, r, http.StatusCreated)
	id := r.str("id")
	masked := map[string]any{"X-Api-Key": "••••cdef", "X-Tenant": "••••"}
	for _, got := range []response{r, do(t, h, http.MethodGet, "/v1/webhooks/"+id, nil)} {
		if !reflect.DeepEqual(got.Body["headers"], masked) || strings.Contains(string(got.Raw), key) {
			t.Errorf("headers shown as %v in %s, want masked %v and never the value", got.Body["headers"], got.Raw, masked)
		}
	}
	w, err := models.Get[models.Webhook](t.Context(), store, id)
	if err != nil {
		t.Fatal(err)
	}
	if w.Headers["X-Api-Key"] != key {
		t.Errorf("stored headers %v", w.Headers)
	}

	t.Run("PATCH replaces them and null clears them", func(t *testing.T) {
		r := do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"headers": map[string]string{"Authorization": "Bearer t"}})
		want(t, r, http.StatusOK)
		if !reflect.DeepEqual(r.Body["headers"], map[string]any{"Authorization": "••••"}) {
			t.Errorf("after replacing: %v", r.Body["headers"])
		}
		r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"description": "other"})
		if want(t, r, http.StatusOK); len(r.Body["headers"].(map[string]any)) != 1 {
			t.Errorf("a PATCH without headers changed them: %v", r.Body["headers"])
		}
		r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, `{"headers":null}`)
		if want(t, r, http.StatusOK); len(r.Body["headers"].(map[string]any)) != 0 {
			t.Errorf("after null: %v", r.Body["headers"])
		}
	})

	t.Run("bad headers are refused naming each", func(t *testing.T) {
		tooMany := map[string]string{}
		for i := range models.MaxWebhookHeaders + 1 {
			tooMany[fmt.Sprintf("X-H%d", i)] = "v"
		}
		cases := []struct {
			headers map[string]string
			field   string
		}{
			{tooMany, "headers"},
			{map[string]string{"webhook-signature": "v1,x"}, "headers.webhook-signature"},
			{map[string]string{"Hookflow-Attempt": "9"}, "headers.Hookflow-Attempt"},
			{map[string]string{"Content-Type": "text/plain"}, "headers.Content-Type"},
			{map[string]string{"HOST": "evil.example"}, "headers.HOST"},
			{map[string]string{"User-Agent": "x"}, "headers.User-Agent"},
			{map[string]string{"X Bad": "v"}, "headers.X Bad"},
			{map[string]string{"X-Key": "a\r\nInjected: yes"}, "headers.X-Key"},
			{map[string]string{"X-Key": ""}, "headers.X-Key"},
			{map[string]string{"X-Key": strings.Repeat("v", models.MaxWebhookHeaderValue+1)}, "headers.X-Key"},
		}
		for _, c := range cases {
			r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "headers": c.headers})
			wantProblem(t, r, http.StatusUnprocessableEntity, c.field)
			r = do(t, h, http.MethodPatch, "/v1/webhooks/"+id, map[string]any{"headers": c.headers})
			wantProblem(t, r, http.StatusUnprocessableEntity, c.field)
		}
		r := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}, "headers": map[string]string{"X-Key": "a", "x-key": "b"}})
		wantProblem(t, r, http.StatusUnprocessableEntity)
	})
}
