package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/signing"
)

// consoleTemporalUI is the Temporal Web UI the console links to in e2e tests.
const consoleTemporalUI = "http://temporal-ui.test"

// consoleBrowser is a signed-in browser of the console: it keeps cookies
// and does not follow redirects, so each answer is seen.
type consoleBrowser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

func (s *system) consoleSignIn(t *testing.T, key string) *consoleBrowser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &consoleBrowser{t: t, base: s.api.URL, client: &http.Client{Jar: jar, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	status, _, location := b.do("POST", "/console/login", url.Values{"key": {key}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/console/webhooks", location)
	_, page, _ := b.do("GET", "/console/webhooks", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	require.NotNil(t, m)
	b.csrf = m[1]
	return b
}

// do makes a request; a form is posted with the session's CSRF token.
func (b *consoleBrowser) do(method, path string, form url.Values) (status int, body, location string) {
	b.t.Helper()
	var resp *http.Response
	var err error
	if method == "GET" {
		resp, err = b.client.Get(b.base + path)
	} else {
		if form == nil {
			form = url.Values{}
		}
		if b.csrf != "" {
			form.Set("csrf", b.csrf)
		}
		resp, err = b.client.PostForm(b.base+path, form)
	}
	require.NoError(b.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return resp.StatusCode, string(data), resp.Header.Get("Location")
}

// page gets a page that must answer 200.
func (b *consoleBrowser) page(path string) string {
	b.t.Helper()
	status, body, _ := b.do("GET", path, nil)
	require.Equal(b.t, http.StatusOK, status, body)
	return body
}

// submit posts a form that must redirect, and returns where to.
func (b *consoleBrowser) submit(path string, form url.Values) string {
	b.t.Helper()
	status, body, location := b.do("POST", path, form)
	require.Equal(b.t, http.StatusSeeOther, status, body)
	return location
}

// element is the text inside the element with the given id.
func element(t *testing.T, page, id string) string {
	t.Helper()
	open := regexp.MustCompile(`<(\w+)[^>]*\sid="` + id + `"[^>]*>`).FindStringSubmatchIndex(page)
	require.NotNil(t, open, "the page has #%s: %s", id, page)
	tag := page[open[2]:open[3]]
	inner, _, found := strings.Cut(page[open[1]:], "</"+tag+">") // the elements looked at hold none of their own tag
	require.True(t, found, "#%s is closed", id)
	noTags := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(inner, " ")
	return strings.Join(strings.Fields(html.UnescapeString(noTags)), " ")
}

// TestConsoleSetsUpAndManagesAWebhook goes through the console as a
// customer would, against a real Temporal and worker: create a webhook,
// download its verification file, verify, send a test, check now, see the
// delivery of an open, resend it, pause and resume.
func TestConsoleSetsUpAndManagesAWebhook(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "ann@example.com"}, map[string]any{})
	rc := newReceiver(t)
	rc.forgeriesExpected = true // Check now sends forged requests on purpose
	b := s.consoleSignIn(t, apiToken)

	verifyPath := b.submit("/console/webhooks", url.Values{"url": {rc.URL + "/hooks/handler.php"}, "events": {"open"}, "format": {"json"}})
	m := regexp.MustCompile(`^/console/webhooks/(wh_[A-Za-z0-9]+)/verify$`).FindStringSubmatch(verifyPath)
	require.NotNil(t, m, verifyPath)
	hook := m[1]
	page := b.page(verifyPath)
	var keys struct{ Keys []signing.PublicKey }
	s.call("GET", "/v1/signing-keys", nil, http.StatusOK, &keys)
	rc.secret, rc.publicKey = element(t, page, "secret"), keys.Keys[0].PublicKey
	require.True(t, strings.HasPrefix(rc.secret, "whsec_"))
	locations := element(t, page, "verification-locations")

	// Verify before the file is there: each location says why not.
	status, page, _ := b.do("POST", verifyPath, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	reasons := regexp.MustCompile(`(?s)<ul id="verification-reasons">(.*?)</ul>`).FindStringSubmatch(page)
	require.NotNil(t, reasons, page)
	require.Equal(t, 2, strings.Count(reasons[1], "<li>"), "one reason per location")
	require.Contains(t, reasons[1], ": 404")

	// Download the file and place it beside the script.
	resp, err := b.client.Get(b.base + "/console/webhooks/" + hook + "/verification-file")
	require.NoError(t, err)
	content, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, params, _ := strings.Cut(resp.Header.Get("Content-Disposition"), `filename="`)
	filename := strings.TrimSuffix(params, `"`)
	require.Regexp(t, `^hookflow-[a-z0-9]+\.txt$`, filename)
	require.Contains(t, locations, rc.URL+"/hooks/"+filename)
	require.Contains(t, locations, rc.URL+"/"+filename)
	rc.serveFile("/hooks/"+filename, strings.TrimSpace(string(content)))
	require.Equal(t, verifyPath, b.submit(verifyPath, nil))
	page = b.page(verifyPath)
	require.Contains(t, page, ">Verified<")
	require.Equal(t, "active", element(t, b.page("/console/webhooks/"+hook), "webhook-status"))

	// The testing tool shows what was sent and what came back.
	status, page, _ = b.do("POST", "/console/webhooks/"+hook+"/test", url.Values{"event_type": {"open"}})
	require.Equal(t, http.StatusOK, status, page)
	sent := element(t, page, "test-request")
	require.Contains(t, sent, "POST "+rc.URL+"/hooks/handler.php")
	require.Contains(t, sent, "Webhook-Signature: v1,")
	require.Contains(t, sent, `"type":"open"`)
	require.Contains(t, element(t, page, "test-response"), "Status 200")

	// Check now tests every webhook, forgeries included.
	status, page, _ = b.do("POST", "/console/webhooks/check", nil)
	require.Equal(t, http.StatusOK, status, page)
	require.Contains(t, page, `<h2 id="check-results">Check results</h2>`)
	results := regexp.MustCompile(`(?s)<h2 id="check-results">.*?</table>`).FindString(page)
	require.Contains(t, results, "passed")
	require.Contains(t, results, "Enforces signatures: yes")

	// An open is delivered, and shows in the delivery log.
	pixel, err := http.Get(message["open_url"].(string))
	require.NoError(t, err)
	pixel.Body.Close()
	require.Equal(t, http.StatusOK, pixel.StatusCode)
	awaitOpen(t, rc)
	var deliveryID string
	require.Eventually(t, func() bool {
		page := b.page("/console/webhooks/" + hook + "?status=succeeded")
		m := regexp.MustCompile(`<a href="/console/deliveries/(dlv_[A-Za-z0-9]+)">open</a>`).FindStringSubmatch(page)
		if m != nil {
			deliveryID = m[1]
		}
		return m != nil
	}, 30*time.Second, 200*time.Millisecond, "the delivery log shows the open as succeeded")
	page = b.page("/console/deliveries/" + deliveryID)
	require.Regexp(t, `<td>1</td><td>[^<]+</td><td>200</td>`, page, "its attempt")
	require.Contains(t, page, `href="`+consoleTemporalUI+`/namespaces/`+s.ns+`/workflows/delivery-`)

	// Resend delivers it again.
	require.Equal(t, "/console/deliveries/"+deliveryID, b.submit("/console/deliveries/"+deliveryID+"/resend", nil))
	again := awaitOpen(t, rc)
	require.Equal(t, "2", again.Headers.Get(activities.HeaderAttempt), "the resend is its second attempt")

	// Pause and resume.
	b.submit("/console/webhooks/"+hook+"/pause", nil)
	page = b.page("/console/webhooks/" + hook)
	require.Equal(t, "paused", element(t, page, "webhook-status"))
	require.Contains(t, page, ">Resume</button>")
	require.NotContains(t, page, ">Pause</button>")
	b.submit("/console/webhooks/"+hook+"/resume", nil)
	require.Equal(t, "active", element(t, b.page("/console/webhooks/"+hook), "webhook-status"))

	// Recover: nothing failed, so nothing would be sent again.
	status, page, _ = b.do("POST", "/console/webhooks/"+hook+"/recover", url.Values{
		"since": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")}, "action": {"count"}})
	require.Equal(t, http.StatusOK, status, page)
	require.Equal(t, "0 deliveries would be sent again.", element(t, page, "recover-count"))
	status, page, location := b.do("POST", "/console/webhooks/"+hook+"/recover", url.Values{
		"since": {time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")}, "action": {"start"}})
	require.Equal(t, http.StatusSeeOther, status, page)
	require.Regexp(t, `^/console/webhooks/`+hook+`\?recovery=rec_`, location)
	require.Contains(t, element(t, b.page(location), "recovery-progress"), "Recovery completed: 0 of 0 sent again")

	// Sign out: the session is over.
	require.Equal(t, "/console/login", b.submit("/console/logout", nil))
	status, _, location = b.do("GET", "/console/webhooks", nil)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/console/login", location)
}

// awaitOpen waits for the next open delivered to rc, passing over tests.
func awaitOpen(t *testing.T, rc *receiver) receivedRequest {
	t.Helper()
	for {
		r := rc.next()
		if r.Payload["type"] == "open" && r.Payload["test"] != true {
			return r
		}
	}
}
