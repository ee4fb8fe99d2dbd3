package console

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
)

// cookieName is the session cookie; it holds the session's random token.
const cookieName = "hookflow_console"

// request is one signed-in request: its session and the API acting as it.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	session *models.ConsoleSession
	token   string
	api     apiclient.Client
}

// signedIn runs h for a signed-in browser: a page without a session goes
// to the sign-in page; a POST must carry the session's CSRF token, or
// nothing is done (403).
func (c *console) signedIn(h func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var session *models.ConsoleSession
		cookie, err := r.Cookie(cookieName)
		if err == nil {
			session, err = c.Store.ConsoleSession(r.Context(), cookie.Value)
		}
		if err != nil && !errors.Is(err, models.ErrNotFound) && !errors.Is(err, http.ErrNoCookie) {
			slog.Error("console: reading a session", "error", err)
			c.render(w, r, http.StatusServiceUnavailable, "error.html", pageData{Title: "Unavailable", Error: "The console cannot reach its database just now; try again shortly."})
			return
		}
		if r.Method == http.MethodPost {
			if session == nil || !validCSRF(session, r.PostFormValue("csrf")) {
				c.render(w, r, http.StatusForbidden, "error.html", pageData{Title: "Forbidden",
					Error: "The form has expired or was forged. Nothing was changed. Go back, reload the page and try again."})
				return
			}
		}
		if session == nil {
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		identity := server.Identity{AccountID: session.AccountID, Operator: session.Operator, APIKeyID: session.APIKeyID}
		h(&request{w: w, r: r, session: session, token: cookie.Value,
			api: apiclient.Client{HTTP: &http.Client{Transport: c.api.Transport(identity)}}})
	}
}

func validCSRF(session *models.ConsoleSession, token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(session.CSRFToken)) == 1
}

// startSession signs the browser in as grant and sends it to the webhooks.
func (c *console) startSession(w http.ResponseWriter, r *http.Request, grant models.ConsoleGrant) bool {
	token, _, err := c.Store.NewConsoleSession(r.Context(), models.ConsoleSignedIn, grant, c.SessionTTL)
	if err != nil {
		slog.Error("console: storing a session", "error", err)
		c.render(w, r, http.StatusServiceUnavailable, "error.html", pageData{Title: "Unavailable", Error: "Could not sign you in just now; try again shortly."})
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    token,
		Path:     "/console",
		MaxAge:   int(c.SessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   c.secure(r),
		SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/console/webhooks", http.StatusSeeOther)
	return true
}

func (c *console) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// secure says whether the cookie is Secure: over TLS, or always when the
// console is known to be reached over HTTPS.
func (c *console) secure(r *http.Request) bool { return r.TLS != nil || c.SecureCookie }
