package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/apiclient/apiclienttest"
	"github.com/hookflow/hookflow/console"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/tracking"
)

const (
	operatorToken = "operator-token"
	// publicHook is a callback URL on a literal public address: accepted
	// without DNS, which the tests do not have.
	publicHook = "https://93.184.216.34/hooks/handler.php"
	temporalUI = "http://temporal-ui.test"
)

// site is a test server with the console mounted, as hookflow serves it.
type site struct {
	t     *testing.T
	url   string
	store *models.Store
}

func newSite(t *testing.T, options ...func(*console.Options)) *site {
	t.Helper()
	return newSiteWith(t, nil, options...)
}

// newSiteWith is newSite whose API starts workflows with wf (nil: none,
// as without Temporal).
func newSiteWith(t *testing.T, wf server.Workflows, options ...func(*console.Options)) *site {
	t.Helper()
	store := modelstest.Open(t)
	copts := console.Options{Store: store, TemporalUI: temporalUI, Namespace: "default"}
	for _, o := range options {
		o(&copts)
	}
	srv := server.New(server.Options{
		Store:     store,
		APIToken:  operatorToken,
		PublicURL: "http://hookflow.test",
		Network:   netpolicy.Policy{},
		Tracking:  tracking.NewTokens("k"),
		Console:   console.New(copts),
		Workflows: wf,
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &site{t: t, url: ts.URL, store: store}
}

// api calls the API with a bearer token and decodes a JSON answer.
func (s *site) api(token, method, path string, body any, want int, out any) {
	s.t.Helper()
	apiclienttest.Call(s.t, s.url, token, method, path, body, want, out)
}

// newAccount makes an account and returns its id and an API key.
func (s *site) newAccount(name string) (id, key string) {
	s.t.Helper()
	var acc struct{ ID string }
	s.api(operatorToken, "POST", "/v1/accounts", map[string]any{"name": name}, http.StatusCreated, &acc)
	var k struct{ Key string }
	s.api(operatorToken, "POST", "/v1/accounts/"+acc.ID+"/keys", map[string]any{"name": "console"}, http.StatusCreated, &k)
	return acc.ID, k.Key
}

// newWebhook creates a webhook through the API with key.
func (s *site) newWebhook(key string, extra map[string]any) string {
	s.t.Helper()
	body := map[string]any{"url": publicHook, "events": []string{"open"}}
	for k, v := range extra {
		body[k] = v
	}
	var w struct{ ID string }
	s.api(key, "POST", "/v1/webhooks", body, http.StatusCreated, &w)
	return w.ID
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each answer.
type browser struct {
	s      *site
	client *http.Client
}

func (s *site) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(s.t, err)
	return &browser{s: s, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer as a browser sees it.
type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.s.t.Helper()
	resp, err := b.client.Get(b.s.url + path)
	require.NoError(b.s.t, err)
	return read(b.s.t, resp)
}

func (b *browser) post(path string, form url.Values) page {
	b.s.t.Helper()
	return b.postFrom(path, form, nil)
}

// postFrom posts a form with the headers a browser adds to say where
// the form came from (Sec-Fetch-Site, Origin).
func (b *browser) postFrom(path string, form url.Values, from http.Header) page {
	b.s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.s.url+path, strings.NewReader(form.Encode()))
	require.NoError(b.s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for name, values := range from {
		req.Header[name] = values
	}
	resp, err := b.client.Do(req)
	require.NoError(b.s.t, err)
	return read(b.s.t, resp)
}

// submit posts a form with the session's CSRF token, read from the page.
func (b *browser) submit(path string, form url.Values) page {
	b.s.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf())
	return b.post(path, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the token the session's forms carry.
func (b *browser) csrf() string {
	b.s.t.Helper()
	p := b.get("/console/webhooks")
	m := csrfField.FindStringSubmatch(p.body)
	require.NotNil(b.s.t, m, "a signed-in page has forms with a CSRF token: %s", p.body)
	return m[1]
}

func read(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return page{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// signIn signs the browser in with key.
func (b *browser) signIn(key string) {
	b.s.t.Helper()
	p := b.post("/console/login", url.Values{"key": {key}})
	require.Equal(b.s.t, http.StatusSeeOther, p.status, p.body)
	require.Equal(b.s.t, "/console/webhooks", p.header.Get("Location"))
}

func (s *site) signedIn(key string) *browser {
	b := s.browser()
	b.signIn(key)
	return b
}

// text is a page's body without tags and with runs of space as one, to
// match what a reader sees.
func text(body string) string {
	noTags := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(noTags)), " ")
}
