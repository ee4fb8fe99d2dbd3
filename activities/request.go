package activities

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Headers hookflow sends with every delivery, next to the Standard Webhooks
// webhook-id (the delivery id, the same on every retry), webhook-timestamp
// and webhook-signature.
const (
	HeaderEventType = "Hookflow-Event-Type"
	HeaderEventID   = "Hookflow-Event-Id"
	HeaderWebhookID = "Hookflow-Webhook-Id"
	HeaderAttempt   = "Hookflow-Attempt"
)

// message is one request of hookflow to a webhook: a payload about an
// event, signed as MsgID (the webhook-id header) at time At.
type message struct {
	MsgID     string
	EventID   string
	EventType models.EventType
	Payload   models.Fields
	Attempt   int
	At        time.Time
}

// signFunc returns the Standard Webhooks headers of a body, signed with a
// webhook's secrets: signing.Signer.HeadersWith, or a forger's (see forged).
type signFunc func(secrets []string, msgID string, at time.Time, body []byte) (http.Header, error)

// deliveryRequest builds attempt number of a delivery: the event's payload
// in the webhook's format, signed with the webhook's secret at time at.
func (a *Activities) deliveryRequest(ctx context.Context, d *models.Delivery, w *models.Webhook, e *models.Event, number int, at time.Time) (*http.Request, error) {
	m := message{MsgID: d.ID, EventID: e.ID, EventType: e.Type, Payload: e.Payload, Attempt: number, At: at}
	req, _, err := a.webhookRequest(ctx, w, m, a.Signer.HeadersWith)
	return req, err
}

// webhookRequest builds the POST of m to w: the payload in the webhook's
// format, signed by sign (with the previous secret too while a rotation's
// grace period lasts), with the headers every request carries. It
// returns the body too, as sent.
func (a *Activities) webhookRequest(ctx context.Context, w *models.Webhook, m message, sign signFunc) (*http.Request, []byte, error) {
	body, contentType, err := renderBody(m.Payload, w.Format)
	if err != nil {
		return nil, nil, err
	}
	signature, err := sign(w.SigningSecrets(m.At), m.MsgID, m.At, body)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	// The owner's headers first: none of them is one hookflow sets below
	// (the API refuses those), and hookflow's win regardless.
	for name, value := range w.Headers {
		req.Header.Set(name, value)
	}
	maps.Copy(req.Header, signature)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", a.UserAgent)
	req.Header.Set(HeaderEventType, string(m.EventType))
	req.Header.Set(HeaderEventID, m.EventID)
	req.Header.Set(HeaderWebhookID, w.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(m.Attempt))
	return req, body, nil
}
