package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/telemetry"
)

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The API server as the server and dev commands assemble it, logging as
// they set it up (JSON, secrets masked, slog's default), keeps the
// operator token out of its logs, even when a request carrying it fails:
// without Temporal (a nil client), starting a verification panics.
func TestAPIServerLogsNeverShowTheOperatorToken(t *testing.T) {
	const token = "operator-token-5d1e8a7c9b"
	out := &lockedBuffer{}
	log, err := newLogger(out, config.LogFormatJSON, token)
	require.NoError(t, err)
	previous := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(previous) })

	keys, err := signing.GenerateKeyPair()
	require.NoError(t, err)
	cfg := config.Config{PublicURL: "http://hookflow.test", TrackingSecret: "tracking", TrackingRate: 20, TrackingBurst: 100, AllowPrivateNetworks: true}
	srv, err := newAPIServer(cfg, modelstest.Open(t), nil, keys, token, telemetry.NewRegistry())
	require.NoError(t, err)
	h := srv.Handler()

	q := url.QueryEscape(token)
	answered := map[int]int{}
	for _, r := range []struct{ method, target, auth, body string }{
		{"POST", "/v1/webhooks?access_token=" + q, "Bearer " + token, `{"url":"http://127.0.0.1:9/hook","events":["open"]}`}, // panics: no Temporal
		{"GET", "/v1/webhooks?token=" + q, "Bearer " + token, ""},
		{"GET", "/v1/webhooks?token=" + q, "", ""},
		{"GET", "/v1/webhooks", "Bearer " + token + "x", ""},
		{"GET", "/v1/webhooks", token, ""},
		{"GET", "/v1/webhooks/" + q, "Bearer " + token, ""},
		{"POST", "/v1/webhooks", "Bearer " + token, "{" + token},
	} {
		req := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/json")
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		answered[rec.Code]++
	}
	logged := out.String()
	t.Logf("answered %v; logged %d bytes", answered, len(logged))
	require.Positive(t, answered[http.StatusInternalServerError], "the request without Temporal did not fail")
	require.Contains(t, logged, "panic serving a request")
	jsonLines(t, logged) // every line is one JSON object, the panic's too
	require.NotContains(t, logged, token)
}
