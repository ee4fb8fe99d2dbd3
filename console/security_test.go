package console_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/models"
)

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func TestEveryAnswerHasTheSecurityHeaders(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	b := s.signedIn(key)
	for _, path := range []string{"/console/login", "/console/webhooks", "/console/static/console.css", "/console/static/console.js", "/console/nowhere"} {
		p := b.get(path)
		require.Equal(t, wantCSP, p.header.Get("Content-Security-Policy"), path)
		require.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"), path)
		require.Equal(t, "same-origin", p.header.Get("Referrer-Policy"), path)
	}
	require.Equal(t, http.StatusNotFound, b.get("/console/nowhere").status)
	css := b.get("/console/static/console.css")
	require.Equal(t, http.StatusOK, css.status)
	require.Contains(t, css.header.Get("Content-Type"), "text/css")
	// No inline script or style anywhere: the CSP would block it.
	page := b.get("/console/webhooks").body
	require.NotRegexp(t, `<script>|<script [^>]*>[^<]|<style|style="`, page)
}

func TestFormWithoutTheSessionsCSRFTokenChangesNothing(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	hook := s.newWebhook(key, nil)
	b := s.signedIn(key)
	create := url.Values{"url": {publicHook}, "events": {"open"}, "format": {"json"}}

	for name, token := range map[string]string{"missing": "", "wrong": "forged-token"} {
		form := url.Values{}
		for k, v := range create {
			form[k] = v
		}
		if token != "" {
			form.Set("csrf", token)
		}
		p := b.post("/console/webhooks", form)
		require.Equal(t, http.StatusForbidden, p.status, name)
		require.Contains(t, text(p.body), "The form has expired or was forged", name)
		p = b.post("/console/webhooks/"+hook+"/delete", url.Values{"csrf": {token}})
		require.Equal(t, http.StatusForbidden, p.status, name)
		p = b.post("/console/logout", url.Values{"csrf": {token}})
		require.Equal(t, http.StatusForbidden, p.status, name)
	}
	// Another session's token is no better.
	other := s.signedIn(key)
	form := url.Values{"csrf": {other.csrf()}}
	require.Equal(t, http.StatusForbidden, b.post("/console/webhooks/"+hook+"/delete", form).status)

	var list struct{ Items []struct{ ID string } }
	s.api(key, "GET", "/v1/webhooks", nil, http.StatusOK, &list)
	require.Len(t, list.Items, 1, "no webhook was made or deleted")
	require.Equal(t, http.StatusOK, b.get("/console/webhooks").status, "and the session is still signed in")
}

func TestFormsPostedFromAnotherSiteChangeNothing(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	hook := s.newWebhook(key, nil)
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	otherOrigin := http.Header{"Origin": {"https://attacker.example"}}

	// Signing in from another site would put the visitor in its account.
	for name, from := range map[string]http.Header{"Sec-Fetch-Site": crossSite, "Origin": otherOrigin} {
		b := s.browser()
		p := b.postFrom("/console/login", url.Values{"key": {key}}, from)
		require.Equal(t, http.StatusForbidden, p.status, name)
		require.Contains(t, text(p.body), "This form was sent from another site", name)
		require.Empty(t, p.header.Values("Set-Cookie"), name)
		require.Equal(t, "/console/login", b.get("/console/webhooks").header.Get("Location"), "%s: not signed in", name)
	}
	var n int64
	require.NoError(t, s.store.DB(context.Background()).Model(&models.ConsoleSession{}).Count(&n).Error)
	require.Zero(t, n, "no session was made")

	// The same form from the console itself signs in.
	b := s.browser()
	p := b.postFrom("/console/login", url.Values{"key": {key}}, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.url}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)

	// A signed-in form with its CSRF token is refused from another site too.
	p = b.postFrom("/console/webhooks/"+hook+"/delete", url.Values{"csrf": {b.csrf()}}, crossSite)
	require.Equal(t, http.StatusForbidden, p.status)
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, nil)
	p = b.postFrom("/console/webhooks/"+hook+"/delete", url.Values{"csrf": {b.csrf()}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusNotFound, nil)
}

func TestAnotherAccountsWebhookAndDeliveryAreNotFound(t *testing.T) {
	s := newSite(t)
	ownerAcc, owner := s.newAccount("Owner")
	_, stranger := s.newAccount("Stranger")
	hook := s.newWebhook(owner, nil)
	now := models.Now()
	delivery := models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: models.Owned{AccountID: ownerAcc},
		EventID: models.NewID(models.PrefixEvent), WebhookID: hook, EventType: models.EventOpen,
		Status: models.DeliveryFailed, Attempts: 1, CreatedAt: now, UpdatedAt: now, CompletedAt: &now}
	require.NoError(t, s.store.Create(context.Background(), &delivery))

	o := s.signedIn(owner)
	require.Equal(t, http.StatusOK, o.get("/console/webhooks/"+hook).status)
	require.Equal(t, http.StatusOK, o.get("/console/deliveries/"+delivery.ID).status)

	b := s.signedIn(stranger)
	for _, path := range []string{"/console/webhooks/" + hook, "/console/webhooks/" + hook + "/verify",
		"/console/webhooks/" + hook + "/verification-file", "/console/webhooks/" + hook + "/delete",
		"/console/deliveries/" + delivery.ID} {
		p := b.get(path)
		require.Equal(t, http.StatusNotFound, p.status, path)
		require.NotContains(t, p.body, publicHook, path)
		require.NotContains(t, p.body, hook, path)
	}
	for _, path := range []string{"/console/webhooks/" + hook + "/pause", "/console/webhooks/" + hook + "/delete",
		"/console/webhooks/" + hook + "/rotate-secret", "/console/deliveries/" + delivery.ID + "/resend"} {
		require.Equal(t, http.StatusNotFound, b.submit(path, nil).status, path)
	}
	require.Equal(t, http.StatusOK, o.get("/console/webhooks/"+hook).status, "the webhook is untouched")
}
