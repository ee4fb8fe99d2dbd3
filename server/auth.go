package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// requireToken refuses every request without "Authorization: Bearer <token>".
// Both sides are hashed first so the comparison takes the same time
// whatever the lengths.
func requireToken(token string) gin.HandlerFunc {
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		scheme, got, ok := strings.Cut(c.GetHeader("Authorization"), " ")
		ok = ok && strings.EqualFold(scheme, "Bearer") // auth schemes are case-insensitive (RFC 9110)
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			c.Header("WWW-Authenticate", `Bearer realm="hookflow"`)
			abortProblem(c, http.StatusUnauthorized, "send the API token as Authorization: Bearer <token>")
			return
		}
		c.Next()
	}
}

// limitBody caps every request body; decodeJSON reports the overflow as 413.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}
