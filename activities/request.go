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

// deliveryRequest builds attempt number of a delivery: the event's payload
// in the webhook's format, signed with the webhook's secret at time at.
func (a *Activities) deliveryRequest(ctx context.Context, d *models.Delivery, w *models.Webhook, e *models.Event, number int, at time.Time) (*http.Request, error) {
	body, contentType, err := renderBody(e.Payload, w.Format)
	if err != nil {
		return nil, err
	}
	signature, err := a.Signer.Headers(w.Secret, d.ID, at, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	maps.Copy(req.Header, signature)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", a.UserAgent)
	req.Header.Set(HeaderEventType, string(e.Type))
	req.Header.Set(HeaderEventID, e.ID)
	req.Header.Set(HeaderWebhookID, w.ID)
	req.Header.Set(HeaderAttempt, strconv.Itoa(number))
	return req, nil
}
