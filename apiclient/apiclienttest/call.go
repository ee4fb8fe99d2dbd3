// Package apiclienttest calls hookflow's API from tests, where an answer
// is checked rather than handled.
package apiclienttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// Call sends method path to the API at baseURL with a bearer token and
// body as JSON (nil: none), requires the answer's status to be want and
// decodes it into out (nil: not decoded).
func Call(t testing.TB, baseURL, token, method, path string, body any, want int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, baseURL+path, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s %s answered %s", method, path, data)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out), "%s %s answered %s", method, path, data)
	}
}
