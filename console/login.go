package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/models"
)

// LoginLinkTTL is how long a one-time login link works.
const LoginLinkTTL = 10 * time.Minute

// NewLoginLink stores a one-time login link for grant and returns its
// path (/console/login/<token>): it works once, within LoginLinkTTL.
func NewLoginLink(ctx context.Context, store *models.Store, grant models.ConsoleGrant) (string, error) {
	token, _, err := store.NewConsoleSession(ctx, models.ConsoleLoginLink, grant, LoginLinkTTL)
	if err != nil {
		return "", err
	}
	return "/console/login/" + token, nil
}

func (c *console) home(w http.ResponseWriter, r *http.Request) {
	if cookie, err := r.Cookie(cookieName); err == nil {
		if _, err := c.Store.ConsoleSession(r.Context(), cookie.Value); err == nil {
			http.Redirect(w, r, "/console/webhooks", http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

func (c *console) loginPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "login.html", pageData{Title: "Sign in"})
}

func (c *console) login(w http.ResponseWriter, r *http.Request) {
	key := r.PostFormValue("key")
	id, err := c.api.Identify(r.Context(), key)
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.render(w, r, http.StatusUnauthorized, "login.html", pageData{Title: "Sign in",
			Fields: fieldErrors{"key": "This is not a valid API key or operator token."}})
	case err != nil:
		slog.Error("console: checking an API key", "error", err)
		c.render(w, r, http.StatusServiceUnavailable, "login.html", pageData{Title: "Sign in",
			Error: "The console cannot check keys just now; try again shortly."})
	default:
		c.startSession(w, r, models.ConsoleGrant{AccountID: id.AccountID, Operator: id.Operator, APIKeyID: id.APIKeyID})
	}
}

func (c *console) loginLink(w http.ResponseWriter, r *http.Request) {
	grant, err := c.Store.RedeemConsoleLink(r.Context(), r.PathValue("token"))
	switch {
	case errors.Is(err, models.ErrNotFound):
		c.render(w, r, http.StatusUnauthorized, "login.html", pageData{Title: "Sign in",
			Error: "This login link has been used or has expired. Sign in with an API key instead."})
	case err != nil:
		slog.Error("console: redeeming a login link", "error", err)
		c.render(w, r, http.StatusServiceUnavailable, "login.html", pageData{Title: "Sign in",
			Error: "The console cannot sign you in just now; try again shortly."})
	default:
		c.startSession(w, r, grant)
	}
}

func (c *console) logout(q *request) {
	if err := c.Store.EndConsoleSession(q.r.Context(), q.token); err != nil {
		slog.Error("console: ending a session", "error", err)
	}
	c.clearCookie(q.w, q.r)
	http.Redirect(q.w, q.r, "/console/login", http.StatusSeeOther)
}

// switchAccount moves an operator's session to another account, which
// must exist (the API says so).
func (c *console) switchAccount(q *request) {
	account := q.r.PostFormValue("account")
	if !q.session.Operator {
		c.notFound(q.w, q.r)
		return
	}
	if err := q.api.Call(q.r.Context(), http.MethodGet, "/v1/accounts/"+pathEscape(account), nil, nil); err != nil {
		c.apiFailed(q, err)
		return
	}
	if err := c.Store.SwitchConsoleAccount(q.r.Context(), q.token, account); err != nil {
		slog.Error("console: switching account", "error", err)
	}
	http.Redirect(q.w, q.r, "/console/webhooks", http.StatusSeeOther)
}
