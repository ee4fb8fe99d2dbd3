package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/models"
)

// pageData is what every page template gets; Data is the page's own.
type pageData struct {
	Title    string
	Session  *models.ConsoleSession // nil when signed out
	CSRF     string
	Accounts []models.Account // the operator's choice of account
	// Error is a message about the whole page or form; Fields are
	// messages about single fields, by form field name.
	Error  string
	Fields fieldErrors
	Notice string
	Data   any
}

// fieldErrors are messages about form fields, by field name.
type fieldErrors map[string]string

// pages are the parsed templates, each page with the layout.
type pages map[string]*template.Template

var templateFuncs = template.FuncMap{
	"statusText": statusText,
	"percent": func(rate *float64) string {
		if rate == nil {
			return "no deliveries"
		}
		return fmt.Sprintf("%.1f%%", *rate*100)
	},
	"join": func(events []models.EventType) string {
		names := make([]string, len(events))
		for i, e := range events {
			names[i] = string(e)
		}
		return strings.Join(names, ", ")
	},
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

// statusText is a webhook's status in words: the disabled reason with it.
func statusText(w models.Webhook) string {
	switch w.Status {
	case models.WebhookDisabled:
		if w.DisabledReason != nil && *w.DisabledReason != "" {
			return "disabled: " + *w.DisabledReason
		}
		return "disabled: by its owner"
	case models.WebhookVerificationFailed:
		return "unverified (verification failed)"
	}
	return string(w.Status)
}

func parsePages() pages {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		panic(err)
	}
	p := pages{}
	for _, e := range entries {
		if e.Name() == "layout.html" {
			continue
		}
		p[e.Name()] = template.Must(template.New("layout.html").Funcs(templateFuncs).
			ParseFS(templateFiles, "templates/layout.html", "templates/"+e.Name()))
	}
	return p
}

// render answers a page; a template error is logged and answered 500.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, data); err != nil {
		slog.Error("console: rendering a page", "page", name, "error", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// page is a signed-in page's common data: the session, its CSRF token
// and, for the operator, the accounts to switch between.
func (q *request) page(title string) pageData {
	d := pageData{Title: title, Session: q.session, CSRF: q.session.CSRFToken}
	if q.session.Operator {
		accounts, err := list[models.Account](q, "/v1/accounts")
		if err != nil {
			slog.Warn("console: listing accounts", "error", err)
		}
		d.Accounts = accounts
	}
	return d
}

// show renders a signed-in page.
func (c *console) show(q *request, status int, name string, d pageData) {
	c.render(q.w, q.r, status, name, d)
}

func (c *console) notFound(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusNotFound, "error.html", pageData{Title: "Not found",
		Error: "There is no such page, or what it shows is not in your account."})
}

// apiFailed shows an API error that no form field explains: 404 as the
// not-found page (another account's data is simply not there), anything
// else as a page with the API's words.
func (c *console) apiFailed(q *request, err error) {
	var apiErr *apiclient.Error
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode == http.StatusNotFound {
			c.notFound(q.w, q.r)
			return
		}
		d := q.page(http.StatusText(apiErr.StatusCode))
		d.Error = problemText(apiErr)
		c.show(q, apiErr.StatusCode, "error.html", d)
		return
	}
	slog.Error("console: calling the API", "error", err)
	d := q.page("Unavailable")
	d.Error = "The console could not do that just now; try again shortly."
	c.show(q, http.StatusServiceUnavailable, "error.html", d)
}

// problemText is an API error in plain words.
func problemText(e *apiclient.Error) string {
	if e.Problem.Detail != "" {
		return upperFirst(e.Problem.Detail) + "."
	}
	return e.Status
}

// formProblem splits an API error into messages next to the form's
// fields (named as the API names them, list indexes dropped) and one
// about the whole form; ok is false for errors that are not about the
// request (404 and the like), which apiFailed shows.
func formProblem(err error) (fields fieldErrors, general string, ok bool) {
	var e *apiclient.Error
	if !errors.As(err, &e) || e.StatusCode == http.StatusNotFound || e.StatusCode >= 500 && e.StatusCode != http.StatusServiceUnavailable {
		return nil, "", false
	}
	fields = fieldErrors{}
	for _, fe := range e.Problem.Errors {
		name, _, _ := strings.Cut(fe.Field, "[")
		if fields[name] != "" {
			fields[name] += "; "
		}
		fields[name] += upperFirst(fe.Reason) + "."
	}
	if len(fields) == 0 {
		general = problemText(e)
	}
	return fields, general, true
}

func upperFirst(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pathEscape(s string) string { return url.PathEscape(s) }
