package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/server"
)

func TestEveryPageRendersForASignedInAccount(t *testing.T) {
	s := newSite(t)
	acc, key := s.newAccount("Shop")
	var db, col struct{ ID string }
	s.api(key, "POST", "/v1/databases", map[string]any{"name": "Newsletter"}, http.StatusCreated, &db)
	s.api(key, "POST", "/v1/databases/"+db.ID+"/collections", map[string]any{"name": "Orders"}, http.StatusCreated, &col)
	hook := s.newWebhook(key, map[string]any{"collection_id": col.ID, "events": []string{"open", "click"}})
	now := models.Now()
	delivery := models.Delivery{ID: models.NewID(models.PrefixDelivery), Owned: models.Owned{AccountID: acc},
		EventID: models.NewID(models.PrefixEvent), WebhookID: hook, EventType: models.EventOpen,
		Status: models.DeliveryFailed, Attempts: 1, CreatedAt: now, UpdatedAt: now, CompletedAt: &now}
	require.NoError(t, s.store.Create(context.Background(), &delivery))
	b := s.signedIn(key)

	list := b.get("/console/webhooks")
	require.Equal(t, http.StatusOK, list.status)
	row := text(list.body)
	for _, want := range []string{publicHook, "open, click", "database Newsletter, collection Orders", "unverified", "0.0%", "New webhook", "Check now"} {
		require.Contains(t, row, want)
	}
	require.Contains(t, list.body, `href="/console/webhooks/`+hook+`"`)

	p := b.get("/console/webhooks/new")
	require.Equal(t, http.StatusOK, p.status)
	for _, e := range models.EventTypes {
		require.Regexp(t, `<input type="checkbox" name="events" value="`+regexp.QuoteMeta(string(e))+`"[^>]*>`+regexp.QuoteMeta(string(e))+`</label>`, p.body)
	}
	for _, label := range []string{"Callback URL", "Database", "Collection", "Format"} {
		require.Contains(t, p.body, ">"+label+"</label>")
	}
	require.Contains(t, p.body, `<option value="">any</option>`)
	require.Contains(t, p.body, "Create webhook")

	p = b.get("/console/webhooks/" + hook + "/verify")
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "<h1>Verify ownership</h1>")
	require.NotContains(t, p.body, `id="secret"`, "the secret is shown only right after creation")
	m := regexp.MustCompile(`<code>(hookflow-[a-z0-9]+\.txt)</code>`).FindStringSubmatch(p.body)
	require.NotNil(t, m, p.body)
	locations := regexp.MustCompile(`(?s)<ul id="verification-locations">(.*?)</ul>`).FindStringSubmatch(p.body)
	require.NotNil(t, locations)
	require.Contains(t, locations[1], "https://93.184.216.34/hooks/"+m[1], "beside the script")
	require.Contains(t, locations[1], "https://93.184.216.34/"+m[1], "in the web root")

	file := b.get("/console/webhooks/" + hook + "/verification-file")
	require.Equal(t, http.StatusOK, file.status)
	require.Equal(t, `attachment; filename="`+m[1]+`"`, file.header.Get("Content-Disposition"))
	require.NotEmpty(t, strings.TrimSpace(file.body))

	p = b.get("/console/webhooks/" + hook)
	require.Equal(t, http.StatusOK, p.status)
	body := text(p.body)
	require.Contains(t, p.body, `<h1 class="url">`+publicHook+`</h1>`)
	require.Regexp(t, `id="webhook-status"[^>]*>unverified<`, p.body)
	for _, want := range []string{"Save changes", "Rotate secret", "Delete", "Testing tool", "Send test", "Deliveries", "Filter", "Recover", "Count", "Start recovery"} {
		require.Contains(t, body, want)
	}
	for _, absent := range []string{">Pause<", ">Resume<", ">Enable<"} {
		require.NotContains(t, p.body, absent, "an unverified webhook can't be paused, resumed or enabled")
	}
	require.Regexp(t, `<svg role="img" aria-label="Deliveries`, p.body)
	require.Contains(t, p.body, `href="/console/deliveries/`+delivery.ID+`"`)
	require.Contains(t, p.body, `<option value="`+col.ID+`" data-database="`+db.ID+`" selected>`)

	p = b.get("/console/webhooks/" + hook + "?status=succeeded")
	require.NotContains(t, p.body, `href="/console/deliveries/`+delivery.ID+`"`, "the filter leaves out failed deliveries")
	require.Contains(t, b.get("/console/webhooks/"+hook+"?status=failed").body, `href="/console/deliveries/`+delivery.ID+`"`)

	p = b.get("/console/deliveries/" + delivery.ID)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, text(p.body), "Resend")
	require.Contains(t, p.body, `href="`+temporalUI+`/namespaces/default/workflows/delivery-`+delivery.EventID+`"`)
	require.Contains(t, text(p.body), "Open in Temporal Web UI")

	p = b.get("/console/webhooks/" + hook + "/delete")
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "Delete webhook")

	p = b.get("/console/databases")
	require.Equal(t, http.StatusOK, p.status)
	body = text(p.body)
	require.Contains(t, body, "Databases and collections")
	require.Contains(t, body, "Database Newsletter")
	require.Regexp(t, `Collection Orders\s*</h3>\s*<ul><li><a href="/console/webhooks/`+hook+`"`, p.body)
}

func TestCreateShowsTheSecretOnceThenVerification(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	b := s.signedIn(key)
	p := b.submit("/console/webhooks", url.Values{"url": {publicHook}, "events": {"open", "bounce"}, "format": {"form"}, "database_id": {""}, "collection_id": {""}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	m := regexp.MustCompile(`^/console/webhooks/(wh_[A-Za-z0-9]+)/verify$`).FindStringSubmatch(p.header.Get("Location"))
	require.NotNil(t, m, p.header.Get("Location"))

	p = b.get("/console/webhooks/" + m[1] + "/verify")
	secret := regexp.MustCompile(`<code id="secret">(whsec_[^<]+)</code>`).FindStringSubmatch(p.body)
	require.NotNil(t, secret, "the new secret is shown: %s", p.body)
	p = b.get("/console/webhooks/" + m[1] + "/verify")
	require.NotContains(t, p.body, `id="secret"`, "and only once")

	var w models.Webhook
	s.api(key, "GET", "/v1/webhooks/"+m[1], nil, http.StatusOK, &w)
	require.Equal(t, []models.EventType{"open", "bounce"}, w.Events)
	require.Equal(t, models.FormatForm, w.Format)
	require.Nil(t, w.DatabaseID)
}

func TestAPIErrorsShowNextToTheirFields(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	b := s.signedIn(key)
	p := b.submit("/console/webhooks", url.Values{"url": {"ftp://example.com/x"}, "format": {"json"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	urlError := regexp.MustCompile(`aria-describedby="url-error">\s*<span class="field-error" id="url-error">([^<]+)</span>`).FindStringSubmatch(p.body)
	require.NotNil(t, urlError, "the URL's error is next to its field: %s", p.body)
	require.Contains(t, urlError[1], "https")
	events := regexp.MustCompile(`<p class="field-error" id="events-error">([^<]+)</p>`).FindStringSubmatch(p.body)
	require.NotNil(t, events)
	require.Equal(t, "Must name at least one event type.", events[1])
	require.Contains(t, p.body, `value="ftp://example.com/x"`, "what was typed is kept")

	p = b.submit("/console/webhooks", url.Values{"url": {publicHook}, "events": {"open"}, "format": {"json"}, "collection_id": {"col_missing"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Regexp(t, `id="collection-error">[^<]*col_missing`, p.body)

	var list struct{ Items []struct{ ID string } }
	s.api(key, "GET", "/v1/webhooks", nil, http.StatusOK, &list)
	require.Empty(t, list.Items)
}

func TestEditAndDelete(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	hook := s.newWebhook(key, nil)
	b := s.signedIn(key)
	p := b.submit("/console/webhooks/"+hook, url.Values{"url": {publicHook}, "events": {"click", "open"}, "format": {"form"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	var w models.Webhook
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, &w)
	require.ElementsMatch(t, []models.EventType{"open", "click"}, w.Events)
	require.Equal(t, models.FormatForm, w.Format)

	p = b.submit("/console/webhooks/"+hook, url.Values{"url": {publicHook}, "format": {"xml"}, "events": {"open"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Regexp(t, `id="format-error">Must be "json" or "form"`, strings.ReplaceAll(p.body, "&#34;", `"`))

	p = b.submit("/console/webhooks/"+hook+"/rotate-secret", nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Regexp(t, `<code id="secret">whsec_`, b.get("/console/webhooks/"+hook).body, "the rotated secret is shown once")

	p = b.submit("/console/webhooks/"+hook+"/delete", nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusNotFound, nil)
}

func TestBatchSettingsFromTheForms(t *testing.T) {
	s := newSite(t)
	_, key := s.newAccount("Shop")
	b := s.signedIn(key)
	p := b.get("/console/webhooks/new")
	require.Regexp(t, `<input type="checkbox" name="batch" value="on">`, p.body, "a new webhook is not batched")
	require.Contains(t, p.body, `name="batch_max_events" type="number" min="1" max="1000" step="1" value="100"`, "the API's defaults are filled in")
	require.Contains(t, p.body, `name="batch_max_wait_ms" type="number" min="0" max="60000" step="1" value="1000"`)

	p = b.submit("/console/webhooks", url.Values{"url": {publicHook}, "events": {"open", "click"}, "format": {"json"},
		"batch": {"on"}, "batch_max_events": {"50"}, "batch_max_wait_ms": {"2000"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	hook := regexp.MustCompile(`^/console/webhooks/(wh_[A-Za-z0-9]+)/verify$`).FindStringSubmatch(p.header.Get("Location"))[1]
	var w models.Webhook
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, &w)
	require.Equal(t, &models.WebhookBatch{MaxEvents: 50, MaxWaitMS: 2000}, w.Batch)

	p = b.get("/console/webhooks/" + hook)
	require.Contains(t, text(p.body), "Delivery in batches of up to 50 events, sent at most 2000 ms after the first")
	require.Contains(t, p.body, `name="batch" value="on" checked`)
	require.Contains(t, p.body, `value="50"`)

	edit := func(batch url.Values) page {
		form := url.Values{"url": {publicHook}, "events": {"open"}, "format": {"json"}}
		for k, v := range batch {
			form[k] = v
		}
		return b.submit("/console/webhooks/"+hook, form)
	}
	// Not a number: the form says so and nothing is sent.
	p = edit(url.Values{"batch": {"on"}, "batch_max_events": {"lots"}, "batch_max_wait_ms": {"2000"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Regexp(t, `id="batch-max-events-error">Must be a whole number of events.<`, p.body)
	require.Contains(t, p.body, `value="lots"`, "what was typed is kept")
	// Out of range: the API's words, next to the field.
	p = edit(url.Values{"batch": {"on"}, "batch_max_events": {"5000"}, "batch_max_wait_ms": {"2000"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Regexp(t, `id="batch-max-events-error">Must be a whole number of events from 1 to 1000.<`, p.body)
	// The form format has no list of events to batch.
	p = b.submit("/console/webhooks/"+hook, url.Values{"url": {publicHook}, "events": {"open"}, "format": {"form"}, "batch": {"on"},
		"batch_max_events": {"50"}, "batch_max_wait_ms": {"2000"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Regexp(t, `id="batch-error">[^<]*cannot be batched`, strings.ReplaceAll(p.body, "&#34;", `"`))
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, &w)
	require.Equal(t, &models.WebhookBatch{MaxEvents: 50, MaxWaitMS: 2000}, w.Batch, "no refused edit changed the settings")

	// An empty setting takes the API's default; an unticked box ends batching.
	p = edit(url.Values{"batch": {"on"}, "batch_max_events": {"200"}, "batch_max_wait_ms": {""}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, &w)
	require.Equal(t, &models.WebhookBatch{MaxEvents: 200, MaxWaitMS: 1000}, w.Batch)
	p = edit(url.Values{"batch_max_events": {"200"}, "batch_max_wait_ms": {"1000"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	w = models.Webhook{}
	s.api(key, "GET", "/v1/webhooks/"+hook, nil, http.StatusOK, &w)
	require.Nil(t, w.Batch)
	require.Contains(t, text(b.get("/console/webhooks/"+hook).body), "Delivery one request an event")
}

// checksOnly is an API's workflows that answer Check now and start no
// verification (the test verifies its webhooks itself); nothing else.
type checksOnly struct {
	server.Workflows
	results []activities.WebhookCheck
}

func (checksOnly) StartVerification(context.Context, string) error { return nil }

func (c checksOnly) CheckWebhooks(context.Context, string) ([]activities.WebhookCheck, error) {
	return c.results, nil
}

func TestCheckNowSaysHowManyWebhooksItLeftOut(t *testing.T) {
	status := 200
	s := newSiteWith(t, checksOnly{results: []activities.WebhookCheck{{WebhookID: "wh_first", URL: publicHook, EventType: models.EventOpen, OK: true, Status: &status}}})
	_, key := s.newAccount("Shop")
	for range activities.MaxCheckedWebhooks + 2 {
		id := s.newWebhook(key, nil)
		moved, err := s.store.TransitionWebhook(t.Context(), id, models.VerifyWebhook(publicHook, models.Now()))
		require.NoError(t, err)
		require.True(t, moved)
	}
	b := s.signedIn(key)
	p := b.submit("/console/webhooks/check", nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, text(p.body), "2 more active webhooks were not checked: a check tests the first 200. Use each one's testing tool.")
	require.Contains(t, text(p.body), "passed")
}
