package activities

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestVerificationURLs(t *testing.T) {
	const file = "hookflow-abc.txt"
	for callback, want := range map[string][]string{
		"https://host.example/dir/script.php?x=1#f": {"https://host.example/dir/" + file, "https://host.example/" + file},
		"https://host.example/hooks/":               {"https://host.example/hooks/" + file, "https://host.example/" + file},
		"https://host.example/a/b/c":                {"https://host.example/a/b/" + file, "https://host.example/" + file},
		"https://host.example/script.php":           {"https://host.example/" + file},
		"https://host.example":                      {"https://host.example/" + file},
		"http://host.example:8080/x/":               {"http://host.example:8080/x/" + file, "http://host.example:8080/" + file},
	} {
		got, err := VerificationURLs(callback, file)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("VerificationURLs(%q) = %v, %v; want %v", callback, got, err, want)
		}
	}
}

// fileServer serves files by path; everything else is a 404.
func fileServer(t *testing.T, files map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func unverified(w *models.Webhook) {
	w.Status, w.ActiveSince, w.VerifiedAt = models.WebhookUnverified, nil, nil
}

func reload(t *testing.T, a *Activities, id string) *models.Webhook {
	t.Helper()
	w, err := models.Get[models.Webhook](t.Context(), a.Store, id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func assertActivated(t *testing.T, a *Activities, id string) {
	t.Helper()
	w := reload(t, a, id)
	if w.Status != models.WebhookActive || w.VerifiedAt == nil || w.ActiveSince == nil || !w.VerifiedAt.Equal(*w.ActiveSince) {
		t.Errorf("webhook is %s (verified %v, active since %v), want active, verified and active since the same time", w.Status, w.VerifiedAt, w.ActiveSince)
	}
}

func TestVerificationPassesAtTheWebRoot(t *testing.T) {
	a := newActivities(t)
	srv := fileServer(t, map[string]string{"/hookflow-abc123.txt": "  CONTENT42\r\n"})
	w := createWebhook(t, a, srv.URL+"/hooks/receive.php", unverified)

	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET " + srv.URL + "/hooks/hookflow-abc123.txt: 404",
		"GET " + srv.URL + "/hookflow-abc123.txt: ok",
	}
	if !res.Passed || !reflect.DeepEqual(res.Checks, want) {
		t.Errorf("result %+v, want passed with checks %q", res, want)
	}
	assertActivated(t, a, w.ID)

	// A retry after the activation was stored still passes.
	if res, err := a.CheckVerification(t.Context(), w.ID); err != nil || !res.Passed {
		t.Errorf("second check: %+v, %v", res, err)
	}
}

func TestVerificationPassesInTheScriptDirectory(t *testing.T) {
	a := newActivities(t)
	srv := fileServer(t, map[string]string{"/hooks/hookflow-abc123.txt": "CONTENT42"})
	w := createWebhook(t, a, srv.URL+"/hooks/receive.php", unverified)

	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed || len(res.Checks) != 2 || !strings.HasSuffix(res.Checks[0], ": ok") {
		t.Errorf("result %+v, want passed in the script directory", res)
	}
	assertActivated(t, a, w.ID)
}

func TestVerificationFailsWithAReasonPerLocation(t *testing.T) {
	a := newActivities(t)
	srv := fileServer(t, map[string]string{"/hookflow-abc123.txt": "something else"})
	w := createWebhook(t, a, srv.URL+"/hooks/", unverified)

	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET " + srv.URL + "/hooks/hookflow-abc123.txt: 404",
		"GET " + srv.URL + "/hookflow-abc123.txt: content does not match",
	}
	if res.Passed || !reflect.DeepEqual(res.Checks, want) {
		t.Errorf("result %+v, want failed with checks %q", res, want)
	}
	if got := reload(t, a, w.ID); got.Status != models.WebhookUnverified || got.VerifiedAt != nil {
		t.Errorf("webhook is %s, verified %v; want still unverified", got.Status, got.VerifiedAt)
	}
}

func TestVerificationReportsConnectionErrors(t *testing.T) {
	a := newActivities(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	w := createWebhook(t, a, url+"/", unverified)

	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || len(res.Checks) != 1 || !strings.HasPrefix(res.Checks[0], "GET "+url+"/hookflow-abc123.txt: ") || !strings.Contains(res.Checks[0], "refused") {
		t.Errorf("checks %q, want one connection refused line for the web root", res.Checks)
	}
}

func TestVerificationRejectsOversizedFiles(t *testing.T) {
	a := newActivities(t)
	srv := fileServer(t, map[string]string{"/hookflow-abc123.txt": "CONTENT42" + strings.Repeat(" ", verificationBodyBytes)})
	w := createWebhook(t, a, srv.URL, unverified)
	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil || res.Passed {
		t.Errorf("result %+v, %v; want a file over %d bytes to fail", res, err, verificationBodyBytes)
	}
}

func TestVerificationDoesNotActivateAChangedURL(t *testing.T) {
	a := newActivities(t)
	var w *models.Webhook
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// The owner edits the URL while the check is under way.
		if err := a.Store.DB(r.Context()).Model(&models.Webhook{}).Where("id = ?", w.ID).Update("url", "https://elsewhere.example/hook").Error; err != nil {
			t.Error(err)
		}
		_, _ = rw.Write([]byte("CONTENT42"))
	}))
	t.Cleanup(srv.Close)
	w = createWebhook(t, a, srv.URL+"/", unverified)

	res, err := a.CheckVerification(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || !strings.Contains(res.Checks[len(res.Checks)-1], "URL changed") {
		t.Errorf("result %+v, want not passed because the URL changed", res)
	}
	if got := reload(t, a, w.ID); got.Status != models.WebhookUnverified || got.VerifiedAt != nil {
		t.Errorf("webhook is %s, verified %v; want still unverified", got.Status, got.VerifiedAt)
	}
}

func TestVerificationOfADeletedWebhookIsNonRetryable(t *testing.T) {
	a := newActivities(t)
	_, err := a.CheckVerification(t.Context(), "wh_gone")
	if appErr := applicationError(t, err); !appErr.NonRetryable() || appErr.Type() != "WebhookNotFound" {
		t.Errorf("err %v, want non-retryable WebhookNotFound", err)
	}
}

func TestExpireVerification(t *testing.T) {
	a := newActivities(t)
	pending := createWebhook(t, a, "https://a.example/", unverified)
	active := createWebhook(t, a, "https://b.example/")
	for range 2 { // idempotent
		for _, id := range []string{pending.ID, active.ID, "wh_gone"} {
			if err := a.ExpireVerification(t.Context(), id); err != nil {
				t.Fatalf("ExpireVerification(%s): %v", id, err)
			}
		}
	}
	if got := reload(t, a, pending.ID).Status; got != models.WebhookVerificationFailed {
		t.Errorf("unverified webhook became %s, want verification_failed", got)
	}
	if got := reload(t, a, active.ID).Status; got != models.WebhookActive {
		t.Errorf("active webhook became %s", got)
	}
}
