// Package console is hookflow's web console: the webhooks menu as
// server-rendered pages under /console, mounted by the API server. Its
// pages call the API in-process as the signed-in account, so the API's
// rules (validation, isolation, life cycle, problem details) are the
// console's; it adds sessions, CSRF protection and HTML.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
)

// DefaultSessionTTL is how long a sign-in lasts without a setting.
const DefaultSessionTTL = 12 * time.Hour

// Options configure the console.
type Options struct {
	Store *models.Store
	// SessionTTL is how long a sign-in lasts (0: DefaultSessionTTL).
	SessionTTL time.Duration
	// TemporalUI is the Temporal Web UI's base URL and Namespace the
	// namespace of hookflow's workflows: a delivery links to its workflow
	// there. Empty: no link.
	TemporalUI, Namespace string
	// SecureCookie marks the session cookie Secure on every answer, not
	// only on those over TLS: for a console reached over HTTPS through a
	// proxy that ends TLS (hookflow serve sets it when its public URL is
	// https).
	SecureCookie bool
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

type console struct {
	Options
	api   server.InProcess
	pages pages
}

// New returns the console for server.Options.Console.
func New(opts Options) func(server.InProcess) http.Handler {
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	pages := parsePages()
	return func(api server.InProcess) http.Handler {
		c := &console{Options: opts, api: api, pages: pages}
		return c.routes()
	}
}

func (c *console) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))

	mux.HandleFunc("GET /console", c.home)
	mux.HandleFunc("GET /console/{$}", c.home)
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("GET /console/login/{token}", c.loginLink)
	mux.HandleFunc("POST /console/logout", c.signedIn(c.logout))
	mux.HandleFunc("POST /console/account", c.signedIn(c.switchAccount))

	mux.HandleFunc("GET /console/webhooks", c.signedIn(c.webhooks))
	mux.HandleFunc("POST /console/webhooks/check", c.signedIn(c.checkNow))
	mux.HandleFunc("GET /console/webhooks/new", c.signedIn(c.newWebhook))
	mux.HandleFunc("POST /console/webhooks", c.signedIn(c.createWebhook))
	mux.HandleFunc("GET /console/webhooks/{id}/verify", c.signedIn(c.verifyPage))
	mux.HandleFunc("POST /console/webhooks/{id}/verify", c.signedIn(c.verify))
	mux.HandleFunc("GET /console/webhooks/{id}/verification-file", c.signedIn(c.verificationFile))
	mux.HandleFunc("GET /console/webhooks/{id}", c.signedIn(c.manage))
	mux.HandleFunc("POST /console/webhooks/{id}", c.signedIn(c.saveWebhook))
	mux.HandleFunc("POST /console/webhooks/{id}/{action}", c.signedIn(c.lifecycle))
	mux.HandleFunc("GET /console/webhooks/{id}/delete", c.signedIn(c.deletePage))
	mux.HandleFunc("POST /console/webhooks/{id}/delete", c.signedIn(c.deleteWebhook))
	mux.HandleFunc("POST /console/webhooks/{id}/test", c.signedIn(c.sendTest))
	mux.HandleFunc("POST /console/webhooks/{id}/recover", c.signedIn(c.recover))
	mux.HandleFunc("GET /console/deliveries/{id}", c.signedIn(c.delivery))
	mux.HandleFunc("POST /console/deliveries/{id}/resend", c.signedIn(c.resend))
	mux.HandleFunc("GET /console/databases", c.signedIn(c.databases))
	mux.HandleFunc("/", c.notFound)
	return secureHeaders(c.sameOriginForms(mux))
}

// sameOriginForms refuses a form posted from another site, as browsers
// tell it (Sec-Fetch-Site, or Origin against Host). The CSRF token already
// guards a signed-in browser's forms; this guards the sign-in form too,
// which has no session yet: another site could otherwise sign a visitor
// in to an account of its own, and watch what the visitor then sets up.
func (c *console) sameOriginForms(next http.Handler) http.Handler {
	protection := http.NewCrossOriginProtection()
	protection.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusForbidden, "error.html", pageData{Title: "Forbidden",
			Error: "This form was sent from another site. Nothing was changed. Open the console yourself and try again."})
	}))
	return protection.Handler(next)
}

// contentSecurityPolicy allows only the console's own scripts, styles and
// forms: no inline script or style, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the console's security headers on every answer.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/console/static/") {
			h.Set("Cache-Control", "no-store") // pages show secrets and account data
		}
		next.ServeHTTP(w, r)
	})
}
