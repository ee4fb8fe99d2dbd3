package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
)

// jsonLines decodes every line of a JSON log, failing on any that is not
// one JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var records []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "log line is not JSON: %s", sc.Text())
		records = append(records, r)
	}
	return records
}

func TestLogsAreJSONByDefaultAndTextOnRequest(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(&buf, "")
	require.NoError(t, err)
	log.Info("delivered", "event_id", "evt_1", "delivery_id", "dlv_1", "took", 1500*time.Millisecond)
	records := jsonLines(t, buf.String())
	require.Len(t, records, 1)
	require.Equal(t, "delivered", records[0]["msg"])
	require.Equal(t, "INFO", records[0]["level"])
	require.Equal(t, "evt_1", records[0]["event_id"])
	require.Equal(t, "dlv_1", records[0]["delivery_id"])
	require.Equal(t, "1.5s", records[0]["took"], "durations read as durations, not nanoseconds")

	buf.Reset()
	log, err = newLogger(&buf, "text")
	require.NoError(t, err)
	log.Warn("slow receiver", "webhook_id", "wh_1")
	require.Contains(t, buf.String(), `level=WARN msg="slow receiver" webhook_id=wh_1`)

	_, err = newLogger(&buf, "yaml")
	require.ErrorContains(t, err, "HOOKFLOW_LOG_FORMAT")
}

// A secret is masked wherever a log line could carry it: the message, a
// string, an error, a value printed with fmt, a group, attributes added
// with With, and records of the Temporal SDK's logger.
func TestLoggerMasksSecretsEverywhere(t *testing.T) {
	const token, key = "operator-token-0123456789", "whsk_secret-signing-key"
	var buf bytes.Buffer
	log, err := newLogger(&buf, "json", token, "")
	require.NoError(t, err)
	log = withSecrets(log, key) // a secret learnt later
	log.With("header", "Bearer "+token).Error("refused "+token,
		"error", fmt.Errorf("bad key %s", key),
		"value", struct{ Token string }{token},
		slog.Group("request", "authorization", "Bearer "+token),
		"event_id", "evt_1",
	)
	tlog.NewStructuredLogger(log).Warn("Temporal said", "Error", errors.New("token "+token))
	out := buf.String()
	require.NotContains(t, out, token)
	require.NotContains(t, out, key)
	records := jsonLines(t, out)
	require.Len(t, records, 2)
	require.Equal(t, "refused [redacted]", records[0]["msg"])
	require.Equal(t, "Bearer [redacted]", records[0]["header"])
	require.Equal(t, "bad key [redacted]", records[0]["error"])
	require.Equal(t, "Bearer [redacted]", records[0]["request"].(map[string]any)["authorization"])
	require.Equal(t, "evt_1", records[0]["event_id"], "the rest is untouched")
	require.Equal(t, "token [redacted]", records[1]["Error"])
}
