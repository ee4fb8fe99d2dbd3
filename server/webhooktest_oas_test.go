package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/tracking"
)

// oasActivityWorkflows runs the testing tool's activities in process, as
// the worker would without Temporal between, so the API's answers are the
// real ones. Other workflows are not there (calling them panics).
type oasActivityWorkflows struct {
	Workflows
	acts *activities.Activities
}

func (w oasActivityWorkflows) TestWebhook(ctx context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error) {
	return w.acts.SendTestEvent(ctx, in)
}

func (w oasActivityWorkflows) CheckWebhooks(ctx context.Context, accountID string) ([]activities.WebhookCheck, error) {
	return w.acts.CheckWebhooks(ctx, activities.WebhookCheckInput{AccountID: accountID})
}

// The testing tool's and Check now's real answers, from a receiver that
// answers and from one that does not, fit the description.
func TestOpenAPITestingToolAnswersMatchSchemas(t *testing.T) {
	store := modelstest.Open(t)
	key, err := signing.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	acts := &activities.Activities{
		Store:     store,
		HTTP:      netpolicy.Policy{AllowPrivate: true}.NewHTTPClient(time.Second),
		Signer:    signing.Signer{Keys: &key},
		UserAgent: "hookflow/oas",
		Settings:  activities.Settings{RequestTimeout: 300 * time.Millisecond},
	}
	s := New(Options{
		Store: store, APIToken: oasToken, PublicURL: "http://hookflow.test", Network: netpolicy.Policy{AllowPrivate: true},
		Tracking: tracking.NewTokens("openapi-test"), Workflows: oasActivityWorkflows{acts: acts},
	})
	engine := s.Handler().(*gin.Engine)
	h := &oasHarness{t: t, engine: engine, v: &oasValidator{doc: oasDoc(t)}, covered: map[string]bool{}}

	answering := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(answering.Close)
	silent := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client hang up
		<-r.Context().Done()
	}))
	t.Cleanup(silent.Close)
	hook := func(url string) string {
		since := models.Now()
		w := &models.Webhook{
			ID: models.NewID(models.PrefixWebhook), Owned: models.Owned{AccountID: models.DefaultAccountID}, URL: url,
			Events: []models.EventType{models.EventClick}, Format: models.FormatJSON, Status: models.WebhookActive,
			ActiveSince: &since, VerifiedAt: &since, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", VerificationFile: "f", VerificationContent: "c",
		}
		if err := store.Create(t.Context(), w); err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	answered, unanswered := hook(answering.URL+"/hook"), hook(silent.URL+"/hook")

	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/test", id: answered, body: `{"event_type":"profile.update"}`, want: 200})
	h.do(oasRequest{method: "POST", path: "/v1/webhooks/{id}/test", id: unanswered, want: 200})
	checks := h.do(oasRequest{method: "POST", path: "/v1/webhooks/check", want: 200})
	if results, _ := checks.(map[string]any)["results"].([]any); len(results) != 2 {
		t.Errorf("check answered %v, want two results", checks)
	}
}
