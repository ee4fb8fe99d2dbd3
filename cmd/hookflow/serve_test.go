package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/server"
)

// TestServeHTTPCutsOffSlowAndIdleClients serves over a real listener with
// short timeouts: a client that stalls sending its headers or its body,
// and a keep-alive connection left idle, are each disconnected. Without
// the timeouts all three stayed open (measured: still open after 200 s).
func TestServeHTTPCutsOffSlowAndIdleClients(t *testing.T) {
	t.Parallel()
	limits := httpTimeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Write: 2 * time.Second, Idle: 300 * time.Millisecond}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), "test", ln, h, limits)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serveHTTP: %v", err)
		}
	})

	// closedWithin reads whatever the server still sends and requires it to
	// close the connection before the deadline.
	closedWithin := func(t *testing.T, conn net.Conn, r io.Reader, limit time.Duration) time.Duration {
		t.Helper()
		began := time.Now()
		if err := conn.SetReadDeadline(began.Add(limit)); err != nil {
			t.Fatal(err)
		}
		_, err := io.Copy(io.Discard, r)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("connection still open after %v", limit)
		}
		return time.Since(began)
	}
	dial := func(t *testing.T, send string) net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, send); err != nil {
			t.Fatal(err)
		}
		return conn
	}

	t.Run("stalled headers", func(t *testing.T) {
		t.Parallel()
		conn := dial(t, "GET / HTTP/1.1\r\nHost: test\r\n")
		if took := closedWithin(t, conn, conn, 5*time.Second); took < limits.ReadHeader/2 {
			t.Errorf("closed after %v, before the header timeout %v", took, limits.ReadHeader)
		}
	})

	t.Run("stalled body", func(t *testing.T) {
		t.Parallel()
		conn := dial(t, "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":")
		if took := closedWithin(t, conn, conn, 5*time.Second); took < limits.Read/2 {
			t.Errorf("closed after %v, before the read timeout %v", took, limits.Read)
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		t.Parallel()
		conn := dial(t, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" || resp.Close {
			t.Fatalf("first request: %d %q (close %v), want a kept-alive 200 ok", resp.StatusCode, body, resp.Close)
		}
		if took := closedWithin(t, conn, br, 5*time.Second); took < limits.Idle/2 {
			t.Errorf("closed after %v idle, before the idle timeout %v", took, limits.Idle)
		}
	})
}

// TestAPIWriteTimeoutOutlastsVerifyNow: the slowest request, a verify-now,
// is answered before the API's write timeout cuts the connection.
func TestAPIWriteTimeoutOutlastsVerifyNow(t *testing.T) {
	if apiTimeouts.Write <= server.VerifyNowTimeout {
		t.Fatalf("write timeout %v does not outlast verify-now's %v", apiTimeouts.Write, server.VerifyNowTimeout)
	}
	for name, d := range map[string]time.Duration{"read header": apiTimeouts.ReadHeader, "read": apiTimeouts.Read, "idle": apiTimeouts.Idle} {
		if d <= 0 {
			t.Errorf("the API has no %s timeout", name)
		}
	}
}
