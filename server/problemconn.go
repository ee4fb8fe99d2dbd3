package server

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// ProblemListener wraps the API's listener so that the few answers
// net/http writes itself, before any handler runs (a request with no Host
// header, conflicting Content-Length headers, headers too large, an
// unsupported Transfer-Encoding), are RFC 9457 problems like every other
// error of the API, not text/plain. net/http has no hook for them: it
// writes them straight to the connection, in one Write, with exactly two
// headers, a shape no handler's answer has (those always carry Date and a
// length), which is what the wrapped connection recognises and rewrites.
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return problemConn{c}, nil
}

type problemConn struct{ net.Conn }

// plainError is net/http's own error answer: status line, its two headers
// (as server.go writes them), and the status text with any detail.
var plainError = regexp.MustCompile(`\AHTTP/1\.1 ([0-9]{3}) ([^\r\n]*)\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n(?s:(.*))\z`)

func (c problemConn) Write(b []byte) (int, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) && !bytes.HasPrefix(b, []byte("HTTP/1.1 5")) {
		return c.Conn.Write(b)
	}
	m := plainError.FindSubmatch(b)
	if m == nil {
		return c.Conn.Write(b)
	}
	status, _ := strconv.Atoi(string(m[1]))
	// The body is "<code> <text>" and, for some, ": <what was wrong>".
	_, detail, _ := strings.Cut(string(m[3]), ": ")
	if detail == "" {
		detail = http.StatusText(status)
	}
	body, _ := json.Marshal(newProblem("", status, detail))
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + string(m[1]) + " " + string(m[2]) + "\r\n")
	out.WriteString("Content-Type: " + problemContentType + "\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(body)
	if _, err := c.Conn.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
