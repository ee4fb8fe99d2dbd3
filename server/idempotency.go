package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// IdempotencyKeyHeader makes a POST safe to retry (Stripe's and Svix's
// convention): the same key with the same request within 24 hours answers
// the first response again without a second effect.
const IdempotencyKeyHeader = "Idempotency-Key"

// replayedHeader marks an answer replayed from an earlier request.
const replayedHeader = "Idempotent-Replayed"

// replayedHeaders are the response headers kept with the response.
var replayedHeaders = []string{"Content-Type", "Location", "ETag"}

// idempotent runs a POST that carries an Idempotency-Key at most once per
// account and key, and answers its retries with the stored response.
func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader(IdempotencyKeyHeader)
	if c.Request.Method != http.MethodPost || key == "" {
		return
	}
	if len(key) > 255 || !printableASCII(key) {
		abortProblem(c, http.StatusBadRequest, IdempotencyKeyHeader+" must be 1 to 255 printable ASCII characters")
		return
	}
	body, ok := readBody(c)
	if !ok {
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	hash := requestHash(c.Request, body)
	rec, first, err := s.Store.BeginIdempotentRequest(c.Request.Context(), accountOf(c), key, hash)
	switch {
	case err != nil:
		storeError(c, err)
	case !first && rec.RequestHash != hash:
		abortProblem(c, http.StatusConflict, IdempotencyKeyHeader+" "+key+" was used for a different request; use a new key")
	case !first && !rec.Done():
		abortProblem(c, http.StatusConflict, "a request with "+IdempotencyKeyHeader+" "+key+" is still being answered; retry shortly")
	case !first:
		replay(c, rec)
	default:
		s.runIdempotent(c, rec)
	}
}

// runIdempotent runs the request and keeps its response. A failure on our
// side (5xx) is not kept: the client's retry runs again.
func (s *Server) runIdempotent(c *gin.Context, rec *models.IdempotentRequest) {
	w := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	// Keep the outcome even if the client went away meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if w.Status() >= 500 {
		if err := s.Store.AbandonIdempotentRequest(ctx, rec); err != nil {
			slog.Warn("could not release an idempotency key", "account_id", rec.AccountID, "idempotency_key", rec.Key, "error", err)
		}
		return
	}
	rec.StatusCode, rec.Body, rec.Header = w.Status(), w.body.Bytes(), models.Fields{}
	for _, h := range replayedHeaders {
		if v := w.Header().Get(h); v != "" {
			rec.Header[h] = v
		}
	}
	if err := s.Store.FinishIdempotentRequest(ctx, rec); err != nil {
		// The effect happened but its answer is not kept: a retry would
		// find the key "still being answered" until it expires.
		slog.Error("could not store an idempotent response", "account_id", rec.AccountID, "idempotency_key", rec.Key, "error", err)
	}
}

func replay(c *gin.Context, rec *models.IdempotentRequest) {
	for k, v := range rec.Header {
		if s, ok := v.(string); ok {
			c.Header(k, s)
		}
	}
	c.Header(replayedHeader, "true")
	c.Data(rec.StatusCode, c.Writer.Header().Get("Content-Type"), rec.Body)
	c.Abort()
}

// requestHash identifies a request: method, path with query, and body.
func requestHash(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// recordingWriter keeps a copy of the body written through it.
type recordingWriter struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.body.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
