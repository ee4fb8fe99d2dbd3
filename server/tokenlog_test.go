package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/server"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLogs sends everything the server may log, through slog's
// default logger at every level or through Gin's writers, to one buffer
// until the test ends. Not parallel: these are the process's loggers.
func captureLogs(t *testing.T) *syncBuffer {
	t.Helper()
	out := &syncBuffer{}
	logger, ginOut, ginErr := slog.Default(), gin.DefaultWriter, gin.DefaultErrorWriter
	slog.SetDefault(slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true})))
	gin.DefaultWriter, gin.DefaultErrorWriter = out, out
	t.Cleanup(func() {
		slog.SetDefault(logger)
		gin.DefaultWriter, gin.DefaultErrorWriter = ginOut, ginErr
	})
	return out
}

// The operator token never reaches the logs, however it is sent, on
// success, on refusals and on the server's own failures (a panic, a
// workflow error, a database outage). The logger is a plain one: the
// commands mask the token in their logs too, but the server must not
// rely on that.
func TestOperatorTokenIsNeverLogged(t *testing.T) {
	const token = "op-tok-9f3c1b2e7d5a4c68"
	logs := captureLogs(t)
	store, outage := modelstest.OpenWithOutage(t)
	wf := &workflowsDouble{}
	panicked := false
	wf.answerVerifyNow(func(ctx context.Context, webhookID string) (activities.VerificationResult, error) {
		if !panicked {
			panicked = true
			panic("verification blew up for " + webhookID)
		}
		return activities.VerificationResult{}, errors.New("temporal is unreachable")
	})
	h := newServer(t, withStore(store), withWorkflows(wf), func(o *server.Options) { o.APIToken = token })
	bearer := withToken("Bearer " + token)
	hook := do(t, h, http.MethodPost, "/v1/webhooks", map[string]any{"url": publicHook, "events": []string{"open"}}, bearer)
	want(t, hook, http.StatusCreated)
	id := hook.str("id")

	type request struct {
		method, path string
		body         any
		opts         []requestOption
	}
	q := url.QueryEscape(token)
	requests := []request{
		{"GET", "/v1/webhooks", nil, []requestOption{bearer}},
		{"GET", "/metrics", nil, []requestOption{bearer}},
		{"POST", "/v1/webhooks/" + id + "/verify", nil, []requestOption{bearer}}, // panics: 500
		{"POST", "/v1/webhooks/" + id + "/verify", nil, []requestOption{bearer}}, // workflow error: 503
		{"POST", "/v1/webhooks", "{", []requestOption{bearer}},
		{"POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1/", "events": []string{"open"}}, []requestOption{bearer}},
		{"PATCH", "/v1/webhooks/" + id, map[string]any{}, []requestOption{bearer, withHeader("If-Match", token)}},
		{"GET", "/v1/webhooks/" + token, nil, []requestOption{bearer}},
		{"GET", "/v1/nowhere", nil, []requestOption{bearer}},
		{"DELETE", "/metrics", nil, []requestOption{bearer}},
		{"GET", "/v1/webhooks", nil, []requestOption{bearer, withHeader("Hookflow-Account", token)}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken(token)}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Bearer" + token)}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Bearer " + token + " extra")}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Bearer " + token + "x")}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Token " + token)}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Basic " + base64.StdEncoding.EncodeToString([]byte("operator:"+token)))}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken("Bearer \x00" + token)}},
		{"GET", "/v1/webhooks?token=" + q + "&access_token=" + q + "&api_key=" + q, nil, []requestOption{withToken("")}},
		{"GET", "/v1/webhooks?access_token=" + q, nil, []requestOption{bearer}},
		{"GET", "/metrics?token=" + q, nil, []requestOption{withToken("")}},
		{"GET", "/t/o/" + q, nil, []requestOption{bearer}},
		{"GET", "/v1/webhooks", nil, []requestOption{withToken(""), withHeader("X-Api-Key", token), withHeader("Cookie", "token="+token)}},
	}
	answered := map[int]int{}
	for _, r := range requests {
		answered[do(t, h, r.method, r.path, r.body, r.opts...).Code]++
	}
	outage.Begin()
	for _, r := range requests[:3] {
		answered[do(t, h, r.method, r.path, r.body, r.opts...).Code]++
	}
	outage.End()

	log := logs.String()
	t.Logf("%d requests answered %v; %d bytes logged", len(requests)+3, answered, len(log))
	if !strings.Contains(log, "msg=\"panic serving a request\"") {
		t.Errorf("the panic was not logged through slog:\n%s", log)
	}
	if answered[http.StatusInternalServerError] == 0 || answered[http.StatusServiceUnavailable] == 0 || answered[http.StatusUnauthorized] == 0 || answered[http.StatusNotFound] == 0 {
		t.Errorf("answers %v, want 500, 503, 401 and 404 among them", answered)
	}
	if !strings.Contains(log, "verification blew up") {
		t.Errorf("the panic was not logged, so the log shows nothing of the failures:\n%s", log)
	}
	for _, form := range []string{token, q, base64.StdEncoding.EncodeToString([]byte("operator:" + token))} {
		if i := strings.Index(log, form); i >= 0 {
			t.Errorf("the log holds the operator token (%q) at %d:\n%s", form, i, log[max(0, i-300):min(len(log), i+100)])
		}
	}
}
