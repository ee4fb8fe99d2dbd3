package activities

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/hookflow/hookflow/models"
)

// WebhookCheckInput asks for a check of every active webhook of an account.
type WebhookCheckInput struct {
	AccountID string
}

// The forged requests of a check, as WebhookCheck.AcceptedForgeries names them.
const (
	ForgeryWrongSignature = "wrong_signature" // signed with a secret and key nobody has
	ForgeryStaleTimestamp = "stale_timestamp" // signed correctly, 10 minutes ago
)

// WebhookCheck is how one webhook fared in a check. It is the API's
// answer as is.
type WebhookCheck struct {
	WebhookID string           `json:"webhook_id"`
	URL       string           `json:"url"`
	EventType models.EventType `json:"event_type"`
	// OK is true when the receiver answered the genuine test 2xx.
	OK bool `json:"ok"`
	// Status and LatencyMS are nil when no answer came; Error says why.
	Status    *int    `json:"status"`
	LatencyMS *int64  `json:"latency_ms"`
	Error     *string `json:"error"`
	// SignatureEnforced is false when the receiver answered 2xx to a
	// forged request (anyone could feed it false data), true when it
	// refused both; nil when the genuine test failed, so nothing can be
	// said.
	SignatureEnforced *bool `json:"signature_enforced"`
	// AcceptedForgeries names the forged requests answered 2xx.
	AcceptedForgeries []string `json:"accepted_forgeries,omitempty"`
}

// CheckWebhooks tests the active webhooks of an account (the first
// MaxCheckedWebhooks in id order) at once, at most maxConcurrentChecks at
// a time, and returns one result per webhook in id order. Each check
// sends, together, a genuine test (a signed sample of the first event
// type the webhook subscribes to), the same signed with keys nobody has,
// and the same signed ten minutes ago; all three are test requests (test_
// webhook-ids, "test": true), bounded by the test request timeout, and
// nothing is recorded. A webhook whose turn would come too
// late to finish before the activity's deadline is reported unchecked.
func (a *Activities) CheckWebhooks(ctx context.Context, in WebhookCheckInput) (res []WebhookCheck, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	webhooks, err := a.Store.ActiveWebhooks(ctx, in.AccountID, MaxCheckedWebhooks)
	if err != nil {
		return nil, err
	}
	timeout := a.testRequestTimeout()
	var startBy time.Time // zero: no deadline
	if deadline, ok := ctx.Deadline(); ok {
		startBy = deadline.Add(-timeout)
	}
	res = make([]WebhookCheck, len(webhooks))
	slots := make(chan struct{}, maxConcurrentChecks)
	var wg sync.WaitGroup
	for i := range webhooks {
		w := &webhooks[i]
		slots <- struct{}{}
		if !startBy.IsZero() && time.Now().After(startBy) {
			<-slots
			res[i] = uncheckedWebhook(w, "not checked: the check ran out of time; test this webhook on its own")
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			res[i] = a.checkWebhook(ctx, w, timeout)
		})
	}
	wg.Wait()
	return res, nil
}

// checkWebhook sends the genuine test and the two forgeries to w at once.
func (a *Activities) checkWebhook(ctx context.Context, w *models.Webhook, timeout time.Duration) WebhookCheck {
	forge, err := a.forged()
	if err != nil {
		return uncheckedWebhook(w, "not checked: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := time.Now()
	sends := []struct {
		forgery string
		at      time.Time
		sign    signFunc
	}{
		{"", now, a.Signer.HeadersWith},
		{ForgeryWrongSignature, now, forge},
		{ForgeryStaleTimestamp, now.Add(-staleTimestampAge), a.Signer.HeadersWith},
	}
	requests := make([]*http.Request, len(sends))
	for i, s := range sends {
		req, err := a.testRequest(ctx, w, models.NewID(models.PrefixTest), w.TestEventType(), s.at, s.sign)
		if err != nil {
			return uncheckedWebhook(w, "not checked: cannot build the test request: "+err.Error())
		}
		requests[i] = req.HTTP
	}
	responses := make([]response, len(requests))
	var wg sync.WaitGroup
	for i, req := range requests {
		wg.Go(func() { responses[i] = a.send(req) })
	}
	wg.Wait()

	check := checkOf(w, responses[0])
	if !check.OK {
		return check
	}
	for i, s := range sends[1:] {
		if classify(responses[i+1]) == models.DeliverySucceeded {
			check.AcceptedForgeries = append(check.AcceptedForgeries, s.forgery)
		}
	}
	enforced := len(check.AcceptedForgeries) == 0
	check.SignatureEnforced = &enforced
	return check
}

// checkOf is the check of w as the genuine test's response r tells it.
func checkOf(w *models.Webhook, r response) WebhookCheck {
	check := WebhookCheck{WebhookID: w.ID, URL: w.URL, EventType: w.TestEventType(), OK: classify(r) == models.DeliverySucceeded}
	if r.StatusCode != 0 {
		status, latency := r.StatusCode, r.Latency.Milliseconds()
		check.Status, check.LatencyMS = &status, &latency
	}
	if r.Err != nil {
		reason := describeError(r.Err)
		check.Error = &reason
	}
	return check
}

// uncheckedWebhook is the check of a webhook nothing was sent to.
func uncheckedWebhook(w *models.Webhook, reason string) WebhookCheck {
	return WebhookCheck{WebhookID: w.ID, URL: w.URL, EventType: w.TestEventType(), Error: &reason}
}
