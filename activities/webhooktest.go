package activities

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/signing"
)

// WebhookTestInput asks for one test request to a webhook.
type WebhookTestInput struct {
	AccountID string
	WebhookID string
	// TestID is the request's webhook-id and its sample event's id (models.PrefixTest).
	TestID    string
	EventType models.EventType
}

// WebhookTestResult is what a test request was and how the receiver
// answered. It is the API's answer as is.
type WebhookTestResult struct {
	// OK is true when the receiver answered 2xx.
	OK      bool        `json:"ok"`
	Request TestRequest `json:"request"`
	// Response is nil when no answer came; Error says why.
	Response *TestResponse `json:"response"`
	Error    *string       `json:"error"`
}

// TestRequest is a request as it was sent.
type TestRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// TestResponse is a receiver's answer: its status, how long it took and
// the start of its body.
type TestResponse struct {
	Status    int    `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Excerpt   string `json:"excerpt"`
}

// SendTestEvent sends one signed sample event of the requested type to a
// verified webhook now, exactly as a delivery would be sent (same signer,
// HTTP client and headers) but with a test_ webhook-id and "test": true in
// the payload, and records nothing. A webhook that is gone or not in the
// account is a non-retryable WebhookNotFound error, one that is not
// verified a non-retryable WebhookUnverified error: nothing is sent then.
func (a *Activities) SendTestEvent(ctx context.Context, in WebhookTestInput) (res WebhookTestResult, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	w, err := a.webhookToTest(ctx, in.AccountID, in.WebhookID)
	if err != nil {
		return res, err
	}
	if !in.EventType.Valid() {
		return res, temporal.NewNonRetryableApplicationError("unknown event type "+string(in.EventType), ErrorTypeUnknownEventType, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, a.testRequestTimeout())
	defer cancel()
	req, err := a.testRequest(ctx, w, in.TestID, in.EventType, time.Now(), a.Signer.HeadersWith)
	if err != nil {
		// What cannot be rendered or signed now never will be.
		return res, temporal.NewNonRetryableApplicationError("cannot build the test request: "+err.Error(), ErrorTypeTestFailed, err)
	}
	return testResult(req, a.send(req.HTTP)), nil
}

// webhookToTest loads a webhook of the account that may be sent to.
func (a *Activities) webhookToTest(ctx context.Context, accountID, webhookID string) (*models.Webhook, error) {
	w, err := models.GetOwned[models.Webhook](ctx, a.Store, accountID, webhookID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, temporal.NewNonRetryableApplicationError("webhook "+webhookID+" not found", ErrorTypeWebhookNotFound, err)
	case err != nil:
		return nil, err
	case !w.Verified():
		return nil, temporal.NewNonRetryableApplicationError("webhook "+webhookID+" is "+string(w.Status)+": "+models.ErrWebhookUnverified.Error(), ErrorTypeWebhookUnverified, nil)
	}
	return w, nil
}

// testRequestTimeout bounds each test request: the worker's request
// timeout, but at most maxTestRequestTimeout so the answer reaches a
// caller who waits for it.
func (a *Activities) testRequestTimeout() time.Duration {
	return min(a.settings().RequestTimeout, maxTestRequestTimeout)
}

// preparedRequest is a request ready to send and what it is, for the answer.
type preparedRequest struct {
	HTTP *http.Request
	Sent TestRequest
}

// testRequest builds a test request of a sample event of type t to w,
// signed by sign as msgID at time at.
func (a *Activities) testRequest(ctx context.Context, w *models.Webhook, msgID string, t models.EventType, at time.Time, sign signFunc) (preparedRequest, error) {
	payload, err := samplePayload(msgID, t, w, at)
	if err != nil {
		return preparedRequest{}, err
	}
	m := message{MsgID: msgID, EventID: msgID, EventType: t, Payload: payload, Attempt: 1, At: at}
	req, body, err := a.webhookRequest(ctx, w, m, sign)
	if err != nil {
		return preparedRequest{}, err
	}
	headers := make(map[string]string, len(req.Header))
	for name, values := range req.Header {
		headers[name] = strings.Join(values, ", ")
	}
	return preparedRequest{HTTP: req, Sent: TestRequest{URL: w.URL, Headers: headers, Body: string(body)}}, nil
}

// testResult is the result of a test request that was sent.
func testResult(req preparedRequest, r response) WebhookTestResult {
	res := WebhookTestResult{OK: classify(r) == models.DeliverySucceeded, Request: req.Sent}
	if r.StatusCode != 0 {
		res.Response = &TestResponse{Status: r.StatusCode, LatencyMS: r.Latency.Milliseconds(), Excerpt: r.Excerpt}
	}
	if r.Err != nil {
		reason := describeError(r.Err)
		res.Error = &reason
	}
	return res
}

// forged signs like the worker's signer, v1 and (if the worker has a key)
// v1a, but with a secret and a key nobody has: a receiver that checks
// either signature must refuse what it signs.
func (a *Activities) forged() (signFunc, error) {
	secret, err := signing.NewSecret()
	if err != nil {
		return nil, err
	}
	forger := signing.Signer{}
	if a.Signer.Keys != nil {
		keys, err := signing.GenerateKeyPair()
		if err != nil {
			return nil, err
		}
		forger.Keys = &keys
	}
	return func(_ []string, msgID string, at time.Time, body []byte) (http.Header, error) {
		return forger.Headers(secret, msgID, at, body)
	}, nil
}
