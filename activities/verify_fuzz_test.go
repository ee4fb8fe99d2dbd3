package activities

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/netpolicy"
)

// FuzzVerificationFile has the verification check read each raw HTTP
// response (status line, headers and body, as a receiver would send them)
// for the file holding "CONTENT42": it never panics, never reads more of a
// body than the cap (and the byte that tells it is over), and passes only
// when the body it read is the token, give or take surrounding space.
func FuzzVerificationFile(f *testing.F) {
	const token = "CONTENT42"
	ok := func(headers, body string) string {
		return "HTTP/1.1 200 OK\r\n" + headers + "\r\n" + body
	}
	for _, s := range []string{
		ok("Content-Length: 9\r\n", token),
		ok("", token),
		ok("Content-Length: 13\r\n", " \r\n"+token+"\n\t"),
		ok("Transfer-Encoding: chunked\r\n", "4\r\nCONT\r\n5\r\nENT42\r\n0\r\n\r\n"),
		ok("Transfer-Encoding: chunked\r\n", "ffffffffffffffff\r\nCONTENT42\r\n"),
		ok("Content-Length: 5\r\n", token),
		ok("Content-Length: 900\r\n", token),
		ok("Content-Length: -1\r\n", token),
		ok("Content-Length: 9\r\nContent-Length: 10\r\n", token),
		ok("Content-Encoding: gzip\r\n", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"),
		ok("Content-Type: text/plain; charset=utf-16\r\n", "\xff\xfeC\x00O\x00"),
		ok("", strings.Repeat(" ", verificationBodyBytes)+token),
		ok("", token+strings.Repeat("\n", verificationBodyBytes)),
		ok("", strings.Repeat("x", 3*verificationBodyBytes)),
		ok("", "CONTENT4"), ok("", "CONTENT422"), ok("", "content42"), ok("", token+"\x00"), ok("", "\ufeff"+token),
		"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n" + token,
		"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n\r\n",
		"HTTP/1.1 302 Found\r\nLocation: /hookflow-abc123.txt\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n" + token,
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n" + token,
		"HTTP/1.1 299 Whatever\r\n\r\n" + token, "HTTP/1.1 2000 OK\r\n\r\n" + token, "HTTP/1.1 -200 OK\r\n\r\n" + token,
		"HTTP/1.0 200 OK\r\n\r\n" + token, "HTTP/2.0 200 OK\r\n\r\n" + token, "HTTP/1.1 200\r\n\r\n" + token,
		"HTTP/1.1 200 OK\n\n" + token, "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("h", 70<<10) + "\r\n\r\n" + token,
		token, "", "\r\n\r\n", "HTTP/1.1 200 OK\r\n",
	} {
		f.Add([]byte(s))
	}
	answer := &rawAnswer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })
	go answer.serve(ln)
	a := &Activities{UserAgent: "hookflow/test"}
	client := netpolicy.Policy{AllowPrivate: true}.NewHTTPClient(2 * time.Second)
	location := "http://" + ln.Addr().String() + "/hookflow-abc123.txt"
	f.Fuzz(func(t *testing.T, raw []byte) {
		read := &readLog{}
		a.HTTP = &http.Client{Timeout: client.Timeout, CheckRedirect: client.CheckRedirect, Transport: read.wrap(client.Transport)}
		answer.set(raw)
		passed, check := a.checkVerificationFile(t.Context(), location, token)
		body := read.bytes()
		if len(body) > verificationBodyBytes+1 {
			t.Fatalf("read %d bytes of a body, cap %d; check %q", len(body), verificationBodyBytes, check)
		}
		if passed && (strings.TrimSpace(string(body)) != token || len(body) > verificationBodyBytes) {
			t.Fatalf("passed (%q) on a body of %d bytes %.100q", check, len(body), body)
		}
		if !strings.HasPrefix(check, "GET "+location+": ") {
			t.Errorf("check %q does not say what was fetched", check)
		}
	})
}

// rawAnswer answers every connection with the same raw response, the
// fuzz input's (a redirect to the same place gets it again), and closes it.
type rawAnswer struct {
	mu  sync.Mutex
	raw []byte
}

func (a *rawAnswer) set(raw []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.raw = raw
}

func (a *rawAnswer) serve(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 4096)
			var req []byte
			for !bytes.Contains(req, []byte("\r\n\r\n")) {
				n, err := conn.Read(buf)
				if err != nil {
					return
				}
				req = append(req, buf[:n]...)
			}
			a.mu.Lock()
			raw := a.raw
			a.mu.Unlock()
			_, _ = conn.Write(raw)
		}()
	}
}

// readLog keeps every body byte the client's user read.
type readLog struct {
	mu   sync.Mutex
	data []byte
}

func (l *readLog) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.data...)
}

func (l *readLog) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if resp != nil {
			resp.Body = &loggedBody{ReadCloser: resp.Body, log: l}
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

type loggedBody struct {
	io.ReadCloser
	log *readLog
}

func (b *loggedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.log.mu.Lock()
	b.log.data = append(b.log.data, p[:n]...)
	b.log.mu.Unlock()
	return n, err
}
