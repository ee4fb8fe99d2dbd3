package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/console"
	"github.com/hookflow/hookflow/models"
)

func TestSignInSetsAStrictCookieAndSignOutEndsTheSession(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	b := s.browser()

	p := b.get("/console")
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/console/login", p.header.Get("Location"), "signed out, the console asks to sign in")
	p = b.get("/console/webhooks")
	require.Equal(t, "/console/login", p.header.Get("Location"))

	p = b.get("/console/login")
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, `<label for="key">API key</label>`)
	require.Contains(t, p.body, `name="key"`)

	p = b.post("/console/login", url.Values{"key": {"hfk_wrong"}})
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Contains(t, text(p.body), "This is not a valid API key or operator token.")
	require.Contains(t, p.body, `aria-describedby="key-error"`, "the error is tied to the field")

	p = b.post("/console/login", url.Values{"key": {key}})
	require.Equal(t, http.StatusSeeOther, p.status)
	cookies := (&http.Response{Header: p.header}).Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.Equal(t, "hookflow_console", c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.False(t, c.Secure, "plain HTTP: a Secure cookie would not come back")
	require.Equal(t, "/console", c.Path)
	require.Equal(t, int((12 * time.Hour).Seconds()), c.MaxAge, "the default session lasts 12 h")
	var stored models.ConsoleSession
	require.NoError(t, s.store.DB(context.Background()).Take(&stored).Error)
	require.NotEqual(t, c.Value, stored.IDHash, "the session id is stored hashed")
	require.NotContains(t, stored.IDHash, c.Value)

	p = b.get("/console")
	require.Equal(t, "/console/webhooks", p.header.Get("Location"))
	p = b.get("/console/webhooks")
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "<h1>Webhooks</h1>")
	require.Contains(t, text(p.body), "Sign out")

	p = b.submit("/console/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/console/login", p.header.Get("Location"))
	var n int64
	require.NoError(t, s.store.DB(context.Background()).Model(&models.ConsoleSession{}).Count(&n).Error)
	require.Zero(t, n, "signing out deletes the session")

	// The old cookie, replayed, signs nobody in.
	replay := s.browser()
	u, _ := url.Parse(s.url + "/console")
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: "hookflow_console", Value: c.Value, Path: "/console"}})
	require.Equal(t, "/console/login", replay.get("/console/webhooks").header.Get("Location"))
}

func TestSessionExpires(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.SessionTTL = time.Hour })
	_, key := s.newAccount("Shop")
	b := s.signedIn(key)
	require.Equal(t, http.StatusOK, b.get("/console/webhooks").status)

	ctx := context.Background()
	require.NoError(t, s.store.DB(ctx).Model(&models.ConsoleSession{}).Where("1 = 1").
		Update("expires_at", models.Now().Add(-time.Second)).Error)
	p := b.get("/console/webhooks")
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/console/login", p.header.Get("Location"), "an expired session is signed out")

	// The next sign-in prunes the expired session.
	s.signedIn(key)
	var n int64
	require.NoError(t, s.store.DB(ctx).Model(&models.ConsoleSession{}).Count(&n).Error)
	require.Equal(t, int64(1), n)
}

func TestRevokedKeyEndsItsSessions(t *testing.T) {
	s := newSite(t)
	acc, key := s.newAccount("Shop")
	b := s.signedIn(key)
	var keys struct{ Items []struct{ ID string } }
	s.api(operatorToken, "GET", "/v1/accounts/"+acc+"/keys", nil, http.StatusOK, &keys)
	require.Len(t, keys.Items, 1)
	s.api(operatorToken, "DELETE", "/v1/accounts/"+acc+"/keys/"+keys.Items[0].ID, nil, http.StatusNoContent, nil)
	require.Equal(t, "/console/login", b.get("/console/webhooks").header.Get("Location"))
}

func TestLoginLinkWorksOnce(t *testing.T) {
	s := newSite(t)
	path, err := console.NewLoginLink(context.Background(), s.store, models.ConsoleGrant{AccountID: models.DefaultAccountID, Operator: true})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(path, "/console/login/"))

	b := s.browser()
	p := b.get(path)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, "/console/webhooks", p.header.Get("Location"))
	p = b.get("/console/webhooks")
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, `<label for="account">Account</label>`, "the link signs in as the operator")

	p = s.browser().get(path)
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Contains(t, text(p.body), "This login link has been used or has expired")

	// An expired link does not work either.
	path, err = console.NewLoginLink(context.Background(), s.store, models.ConsoleGrant{AccountID: models.DefaultAccountID, Operator: true})
	require.NoError(t, err)
	require.NoError(t, s.store.DB(context.Background()).Model(&models.ConsoleSession{}).
		Where("kind = ?", models.ConsoleLoginLink).Update("expires_at", models.Now().Add(-time.Second)).Error)
	require.Equal(t, http.StatusUnauthorized, s.browser().get(path).status)
}

func TestOperatorSwitchesAccount(t *testing.T) {
	s := newSite(t)
	acc, key := s.newAccount("Shop")
	hook := s.newWebhook(key, nil)
	b := s.signedIn(operatorToken)
	require.Equal(t, http.StatusNotFound, b.get("/console/webhooks/"+hook).status, "the operator starts in the default account")

	p := b.get("/console/webhooks")
	require.Contains(t, p.body, `value="`+acc+`"`, "the account select lists the account")
	p = b.submit("/console/account", url.Values{"account": {acc}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, http.StatusOK, b.get("/console/webhooks/"+hook).status)

	p = b.submit("/console/account", url.Values{"account": {"acc_missing"}})
	require.Equal(t, http.StatusNotFound, p.status)

	// An account's key cannot switch.
	k := s.signedIn(key)
	p = k.submit("/console/account", url.Values{"account": {models.DefaultAccountID}})
	require.Equal(t, http.StatusNotFound, p.status)
	require.NotContains(t, k.get("/console/webhooks").body, `<label for="account">`)
}

func TestCookieIsSecureWhenTheConsoleIsServedOverHTTPS(t *testing.T) {
	s := newSite(t, func(o *console.Options) { o.SecureCookie = true })
	_, key := s.newAccount("Shop")
	p := s.browser().post("/console/login", url.Values{"key": {key}})
	require.Equal(t, http.StatusSeeOther, p.status)
	cookies := (&http.Response{Header: p.header}).Cookies()
	require.Len(t, cookies, 1)
	require.True(t, cookies[0].Secure)
	require.True(t, cookies[0].HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)
}
