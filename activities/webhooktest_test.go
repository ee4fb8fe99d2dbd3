package activities

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/models"
)

// verifyingReceiver answers 204 to requests whose v1 signature the
// official Standard Webhooks library accepts with *secret (its timestamp
// within five minutes), and 401 to the others, as a careful receiver does.
func verifyingReceiver(t testing.TB, secret *string) *receiver {
	return newReceiverOf(t, func(w http.ResponseWriter, r *http.Request, body []byte, _ int) {
		wh, err := standardwebhooks.NewWebhook(*secret)
		if err != nil {
			t.Errorf("secret: %v", err)
		}
		if err != nil || wh.Verify(body, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestSendTestEventIsSignedAndSentLikeADelivery(t *testing.T) {
	a := newActivities(t)
	var secret string
	rc := verifyingReceiver(t, &secret)
	w := createWebhook(t, a, rc.URL+"/hook", func(w *models.Webhook) { w.AccountID = "acc_a" })
	secret = w.Secret
	testID := models.NewID(models.PrefixTest)

	res, err := a.SendTestEvent(t.Context(), WebhookTestInput{AccountID: "acc_a", WebhookID: w.ID, TestID: testID, EventType: models.EventClick})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Response == nil || res.Response.Status != http.StatusNoContent || res.Error != nil {
		t.Fatalf("result %+v: want ok, 204, no error", res)
	}
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("%d requests arrived, want 1", len(got))
	}
	if string(got[0].Body) != res.Request.Body {
		t.Errorf("the answer's body %s is not what arrived: %s", res.Request.Body, got[0].Body)
	}
	for name, value := range res.Request.Headers {
		if got[0].Header.Get(name) != value {
			t.Errorf("header %s: answered %q, arrived %q", name, value, got[0].Header.Get(name))
		}
	}
	for name, want := range map[string]string{
		"Webhook-Id": testID, HeaderEventID: testID, HeaderEventType: "click", HeaderWebhookID: w.ID,
		HeaderAttempt: "1", "User-Agent": "hookflow/test", "Content-Type": "application/json",
	} {
		if got := res.Request.Headers[name]; got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(res.Request.Headers["Webhook-Signature"], " v1a,") {
		t.Errorf("signature %q lacks the v1a signature real deliveries carry", res.Request.Headers["Webhook-Signature"])
	}
	if res.Request.URL != w.URL {
		t.Errorf("url %q, want %q", res.Request.URL, w.URL)
	}
	var payload map[string]any
	if err := json.Unmarshal(got[0].Body, &payload); err != nil {
		t.Fatal(err)
	}
	if payload["test"] != true || payload["id"] != testID || payload["type"] != "click" || payload["url"] == nil {
		t.Errorf("payload %v: want a click marked test with the test id and the link's url", payload)
	}
	var deliveries int64
	if err := a.Store.DB(t.Context()).Model(&models.Delivery{}).Count(&deliveries).Error; err != nil {
		t.Fatal(err)
	}
	if deliveries != 0 {
		t.Errorf("a test was recorded as %d deliveries", deliveries)
	}
}

func TestSendTestEventInFormFormat(t *testing.T) {
	a := newActivities(t)
	rc := newReceiver(t, answering(http.StatusOK))
	w := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Format = models.FormatForm })
	res, err := a.SendTestEvent(t.Context(), WebhookTestInput{WebhookID: w.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen})
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(res.Request.Body)
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("test") != "true" || form.Get("type") != "open" || form.Get("profile[fields][firstname]") != "Jane" {
		t.Errorf("form body %s: want test=true, type=open and the sample profile", res.Request.Body)
	}
	if ct := rc.received()[0].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
}

// Nothing is sent to a webhook whose URL is not proven, nor to another
// account's.
func TestSendTestEventRefusesUnverifiedAndForeignWebhooks(t *testing.T) {
	a := newActivities(t)
	rc := newReceiver(t, answering(http.StatusOK))
	for _, status := range []models.WebhookStatus{models.WebhookUnverified, models.WebhookVerificationFailed} {
		w := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Status, w.VerifiedAt, w.ActiveSince = status, nil, nil })
		_, err := a.SendTestEvent(t.Context(), WebhookTestInput{WebhookID: w.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen})
		if appErr := applicationError(t, err); appErr.Type() != ErrorTypeWebhookUnverified || !appErr.NonRetryable() {
			t.Errorf("%s webhook: %v, want a non-retryable %s", status, err, ErrorTypeWebhookUnverified)
		}
	}
	paused := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.Status = models.WebhookPaused })
	if _, err := a.SendTestEvent(t.Context(), WebhookTestInput{WebhookID: paused.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen}); err != nil {
		t.Errorf("a paused webhook is verified and may be tested: %v", err)
	}
	_, err := a.SendTestEvent(t.Context(), WebhookTestInput{AccountID: "acc_other", WebhookID: paused.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen})
	if appErr := applicationError(t, err); appErr.Type() != ErrorTypeWebhookNotFound {
		t.Errorf("another account's webhook: %v, want %s", err, ErrorTypeWebhookNotFound)
	}
	if n := len(rc.received()); n != 1 {
		t.Errorf("%d requests arrived, want only the paused webhook's", n)
	}
}

// A receiver that does not answer in time is reported with why.
func TestSendTestEventReportsATimeout(t *testing.T) {
	a := newActivities(t)
	a.Settings.RequestTimeout = 200 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, func(http.ResponseWriter, int) { <-release })
	w := createWebhook(t, a, rc.URL)
	res, err := a.SendTestEvent(t.Context(), WebhookTestInput{WebhookID: w.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Response != nil || res.Error == nil || !strings.Contains(*res.Error, "deadline exceeded") {
		t.Errorf("result %+v, want no response and a timeout", res)
	}
	if res.Request.Body == "" {
		t.Error("the request that was sent is reported even without an answer")
	}
}

// Every event type has a sample, built by the code that builds real
// payloads, in the webhook's scope.
func TestSamplePayloadOfEveryType(t *testing.T) {
	db, col := "db_scope", "col_scope"
	scoped := &models.Webhook{DatabaseID: &db, CollectionID: &col}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, typ := range models.EventTypes {
		p, err := samplePayload("test_1", typ, scoped, at)
		if err != nil {
			t.Fatal(err)
		}
		if p["type"] != string(typ) || p["test"] != true || p["id"] != "test_1" || p["timestamp"] != "2026-11-24T10:00:00Z" || p["database"] != db {
			t.Errorf("%s: payload %v", typ, p)
		}
		if typ != models.EventProfileDelete && p["collection"] != col {
			t.Errorf("%s: collection %v, want the webhook's", typ, p["collection"])
		}
		if typ.IsOperational() {
			if data, _ := p["data"].(map[string]any); data["webhook_id"] != sampleID(models.PrefixWebhook) {
				t.Errorf("%s: data %v, want the webhook it is about", typ, p["data"])
			}
			continue
		}
		if _, ok := p["profile"].(map[string]any); !ok {
			t.Errorf("%s: no profile in %v", typ, p)
		}
	}
	unscoped, err := samplePayload("test_2", models.EventClick, &models.Webhook{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if unscoped["url"] != "https://www.example.com/offers?utm_source=newsletter" || unscoped["recipient"] != "jane.doe@example.com" {
		t.Errorf("click sample %v: want the link's url and the recipient", unscoped)
	}
	if _, ok := unscoped["collection"]; ok {
		t.Errorf("an unscoped webhook's sample names a collection: %v", unscoped)
	}
	update, err := samplePayload("test_4", models.EventProfileUpdate, &models.Webhook{}, at)
	if err != nil {
		t.Fatal(err)
	}
	change, _ := update["data"].(map[string]any)
	before, _ := change["before"].(map[string]any)
	after, _ := change["after"].(map[string]any)
	if before == nil || after == nil || reflect.DeepEqual(before["fields"], after["fields"]) || after["email"] != "jane.doe@example.com" {
		t.Errorf("profile.update sample data %v: want different before and after snapshots", change)
	}
	gone, err := samplePayload("test_3", models.EventProfileDelete, &models.Webhook{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if profile, _ := gone["profile"].(map[string]any); profile["id"] != sampleID(models.PrefixProfile) || profile["fields"] == nil {
		t.Errorf("profile.delete sample %v: want the profile described from data.before", gone)
	}
}

func TestCheckWebhooksFlagsReceiversThatAcceptForgeries(t *testing.T) {
	a := newActivities(t)
	lax := newReceiver(t, answering(http.StatusOK))
	var secret string
	strict := verifyingReceiver(t, &secret)
	broken := newReceiver(t, answering(http.StatusInternalServerError))
	inAccount := func(w *models.Webhook) { w.AccountID = "acc_a" }
	laxHook := createWebhook(t, a, lax.URL, inAccount)
	strictHook := createWebhook(t, a, strict.URL, inAccount, func(w *models.Webhook) { w.Events = []models.EventType{models.EventBounce} })
	secret = strictHook.Secret
	brokenHook := createWebhook(t, a, broken.URL, inAccount)
	createWebhook(t, a, lax.URL, inAccount, func(w *models.Webhook) { w.Status = models.WebhookPaused })
	createWebhook(t, a, lax.URL) // another account's

	checks, err := a.CheckWebhooks(t.Context(), WebhookCheckInput{AccountID: "acc_a"})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]WebhookCheck{}
	for _, c := range checks {
		byID[c.WebhookID] = c
	}
	if len(checks) != 3 || len(byID) != 3 {
		t.Fatalf("checked %+v: want the account's three active webhooks", checks)
	}
	if c := byID[laxHook.ID]; !c.OK || *c.Status != 200 || c.SignatureEnforced == nil || *c.SignatureEnforced ||
		!reflect.DeepEqual(c.AcceptedForgeries, []string{ForgeryWrongSignature, ForgeryStaleTimestamp}) {
		t.Errorf("a receiver that accepts anything: %+v", c)
	}
	if c := byID[strictHook.ID]; !c.OK || *c.Status != 204 || c.SignatureEnforced == nil || !*c.SignatureEnforced || c.EventType != models.EventBounce || c.AcceptedForgeries != nil {
		t.Errorf("a receiver that verifies signatures: %+v", c)
	}
	if c := byID[brokenHook.ID]; c.OK || *c.Status != 500 || c.SignatureEnforced != nil {
		t.Errorf("a receiver that fails: %+v, want not ok and nothing said about signatures", c)
	}

	got := strict.received()
	if len(got) != 3 {
		t.Fatalf("the strict receiver got %d requests, want 3", len(got))
	}
	ids := map[string]bool{}
	stale := 0
	for _, r := range got {
		id := r.Header.Get("Webhook-Id")
		ids[id] = true
		if !models.HasPrefix(id, models.PrefixTest) {
			t.Errorf("webhook-id %q is not a test id", id)
		}
		var p map[string]any
		if err := json.Unmarshal(r.Body, &p); err != nil || p["test"] != true {
			t.Errorf("payload %s is not marked test", r.Body)
		}
		ts, _ := time.Parse(time.RFC3339, p["timestamp"].(string))
		if time.Since(ts) > 9*time.Minute {
			stale++
		}
	}
	if len(ids) != 3 || stale != 1 {
		t.Errorf("want three distinct test ids and one request ten minutes old; ids %v, stale %d", ids, stale)
	}
}

// A check that cannot finish before its deadline reports the webhooks it
// could not start instead of holding the answer back.
func TestCheckWebhooksReportsWhatItHadNoTimeFor(t *testing.T) {
	a := newActivities(t)
	a.Settings.RequestTimeout = time.Second
	rc := newReceiver(t, answering(http.StatusOK))
	w := createWebhook(t, a, rc.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	checks, err := a.CheckWebhooks(ctx, WebhookCheckInput{AccountID: w.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 1 || checks[0].OK || checks[0].Error == nil || !strings.Contains(*checks[0].Error, "ran out of time") {
		t.Errorf("checks %+v, want the webhook reported unchecked", checks)
	}
	if n := len(rc.received()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

func TestCheckWebhooksTestsTheFirstOfManyInIDOrder(t *testing.T) {
	a := newActivities(t)
	rc := newReceiver(t, answering(http.StatusOK))
	var ids []string
	for range MaxCheckedWebhooks + 2 {
		ids = append(ids, createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.AccountID = "acc_many" }).ID)
	}
	slices.Sort(ids)
	checks, err := a.CheckWebhooks(t.Context(), WebhookCheckInput{AccountID: "acc_many"})
	if err != nil {
		t.Fatal(err)
	}
	checked := make([]string, 0, len(checks))
	for _, c := range checks {
		if !c.OK {
			t.Errorf("check %+v failed", c)
		}
		checked = append(checked, c.WebhookID)
	}
	if !slices.Equal(checked, ids[:MaxCheckedWebhooks]) {
		t.Errorf("checked %d webhooks, want the first %d of %d in id order", len(checked), MaxCheckedWebhooks, len(ids))
	}
	if n := len(rc.received()); n != 3*MaxCheckedWebhooks {
		t.Errorf("%d requests were sent, want 3 to each checked webhook", n)
	}
}
