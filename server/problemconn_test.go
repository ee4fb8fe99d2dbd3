package server_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/server"
)

// The answers net/http writes itself, before any handler runs, are
// problems like every other error of the API.
func TestHTTPLayerErrorsAreProblems(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(newServer(t))
	srv.Listener = server.ProblemListener(srv.Listener)
	srv.Config.MaxHeaderBytes = 4 << 10
	srv.Start()
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		name, request string
		status        int
	}{
		{"no Host header", "GET /healthz HTTP/1.1\r\n\r\n", http.StatusBadRequest},
		{"two Host headers", "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", http.StatusBadRequest},
		{"bad Host header", "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", http.StatusBadRequest},
		{"conflicting Content-Length", "POST /v1/databases HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", http.StatusBadRequest},
		{"unsupported Transfer-Encoding", "POST /v1/databases HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", http.StatusNotImplemented},
		{"headers too large", "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("x", 8<<10) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"malformed header line", "GET /healthz HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n", http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(c.request)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p server.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("body is not a problem: %v", err)
			}
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != c.status || p.Detail == "" || p.Title != http.StatusText(c.status) {
				t.Errorf("answer %d %q %+v, want a %d problem with a detail", resp.StatusCode, resp.Header.Get("Content-Type"), p, c.status)
			}
		})
	}

	// A handler's own answers pass through untouched.
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d", resp.StatusCode)
	}
}
