package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// AccountHeader lets the operator token act in an account other than the default one.
const AccountHeader = "Hookflow-Account"

// principal is who a request acts as, and in which account.
type principal struct {
	AccountID string
	// Operator is the configured API token: it manages accounts and may
	// act in any of them.
	Operator bool
}

const principalKey = "hookflow.principal"

// authenticate accepts the operator token or an account's API key as
// "Authorization: Bearer …" and records who the request acts as.
func (s *Server) authenticate() gin.HandlerFunc {
	operator := sha256.Sum256([]byte(s.APIToken))
	return func(c *gin.Context) {
		if id, ok := inProcessIdentity(c.Request.Context()); ok {
			s.actInProcess(c, id)
			return
		}
		scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
		ok = ok && strings.EqualFold(scheme, "Bearer") // auth schemes are case-insensitive (RFC 9110)
		token = strings.TrimSpace(token)
		// Hashing both sides first makes the comparison take the same time whatever the lengths.
		sum := sha256.Sum256([]byte(token))
		switch {
		case !ok || token == "":
			unauthorized(c)
		case subtle.ConstantTimeCompare(sum[:], operator[:]) == 1:
			s.actAsOperator(c)
		default:
			s.actWithKey(c, token)
		}
	}
}

func unauthorized(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="hookflow"`)
	abortProblem(c, http.StatusUnauthorized, "send the operator token or an account API key as Authorization: Bearer <token>")
}

// actAsOperator acts in the default account, or in the one the
// Hookflow-Account header names.
func (s *Server) actAsOperator(c *gin.Context) {
	account := c.GetHeader(AccountHeader)
	if account == "" {
		account = models.DefaultAccountID
	} else if _, err := models.Get[models.Account](c.Request.Context(), s.Store, account); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			abortProblem(c, http.StatusNotFound, "account "+account+" (header "+AccountHeader+") does not exist")
		} else {
			storeError(c, err)
		}
		return
	}
	c.Set(principalKey, principal{AccountID: account, Operator: true})
}

// actInProcess acts as the console's signed-in account (see inprocess.go).
func (s *Server) actInProcess(c *gin.Context, id Identity) {
	if id.Operator {
		c.Request.Header.Set(AccountHeader, id.AccountID)
		s.actAsOperator(c)
		return
	}
	c.Set(principalKey, principal{AccountID: id.AccountID})
}

// actWithKey acts in the account the API key belongs to, and only there.
func (s *Server) actWithKey(c *gin.Context, secret string) {
	key, err := s.Store.APIKeyBySecret(c.Request.Context(), secret)
	if errors.Is(err, models.ErrNotFound) {
		unauthorized(c)
		return
	}
	if err != nil {
		storeError(c, err)
		return
	}
	if h := c.GetHeader(AccountHeader); h != "" && h != key.AccountID {
		abortProblem(c, http.StatusForbidden, "an account API key acts only in its own account; leave out "+AccountHeader)
		return
	}
	c.Set(principalKey, principal{AccountID: key.AccountID})
}

// requireOperator lets only the operator token through.
func requireOperator(c *gin.Context) {
	if !principalOf(c).Operator {
		abortProblem(c, http.StatusForbidden, "only the operator token manages accounts")
	}
}

func principalOf(c *gin.Context) principal {
	p, _ := c.Get(principalKey)
	who, _ := p.(principal)
	return who
}

// accountOf is the account the request acts in.
func accountOf(c *gin.Context) string { return principalOf(c).AccountID }

// owned stamps a new row with the account the request acts in.
func owned(c *gin.Context) models.Owned { return models.Owned{AccountID: accountOf(c)} }

// limitBody caps every request body; decodeJSON reports the overflow as 413.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}
