package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"

	"github.com/hookflow/hookflow/models"
)

// The web console is built on the API: its pages call the API in-process,
// acting as the signed-in account, so every rule (validation, isolation,
// life cycle, problem details) is the API's. Whom such a call acts as
// travels in the request's context, which only code in this process can
// set: no header or token an outside caller could send grants it.

// Identity is whom an in-process call acts as.
type Identity struct {
	AccountID string
	// Operator acts with the operator token's rights, in AccountID (the
	// default account when empty).
	Operator bool
	// APIKeyID is the account key signed in with; empty for the operator.
	APIKeyID string
}

// InProcess is what the server gives the console it mounts.
type InProcess struct {
	s       *Server
	handler http.Handler
}

type inProcessKey struct{}

// Identify tells whom a token signs in as: the operator token or an
// account's API key; an unknown token is models.ErrNotFound.
func (p InProcess) Identify(ctx context.Context, token string) (Identity, error) {
	operator := sha256.Sum256([]byte(p.s.APIToken))
	sum := sha256.Sum256([]byte(token))
	if token != "" && subtle.ConstantTimeCompare(sum[:], operator[:]) == 1 {
		return Identity{AccountID: models.DefaultAccountID, Operator: true}, nil
	}
	if token == "" {
		return Identity{}, models.ErrNotFound
	}
	key, err := p.s.Store.APIKeyBySecret(ctx, token)
	if err != nil {
		return Identity{}, err
	}
	return Identity{AccountID: key.AccountID, APIKeyID: key.ID}, nil
}

// Transport serves requests through the server's own handler, acting as id.
func (p InProcess) Transport(id Identity) http.RoundTripper {
	return inProcessTransport{handler: p.handler, id: id}
}

type inProcessTransport struct {
	handler http.Handler
	id      Identity
}

func (t inProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	in := req.Clone(context.WithValue(req.Context(), inProcessKey{}, t.id))
	in.RequestURI = in.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:0"
	if in.Body == nil {
		in.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}}
	t.handler.ServeHTTP(w, in)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// bufferedResponse keeps an in-process answer for the caller to read.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// inProcessIdentity is whom an in-process call acts as, if it is one.
func inProcessIdentity(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(inProcessKey{}).(Identity)
	return id, ok
}
