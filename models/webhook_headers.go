package models

import (
	"strings"
)

// WebhookHeaders are headers the owner has every request to the webhook
// carry, e.g. an API key their receiver or its gateway checks. Values are
// credentials: the API never shows them in full (Masked).
type WebhookHeaders map[string]string

// MaxWebhookHeaders caps how many custom headers a webhook has, and
// MaxWebhookHeaderValue how long each value is.
const (
	MaxWebhookHeaders     = 20
	MaxWebhookHeaderValue = 1024
)

// ReservedHeader reports whether hookflow sets the header itself, so an
// owner may not: the signature and delivery headers, the body's, the
// connection's.
func ReservedHeader(name string) bool {
	name = strings.ToLower(name)
	for _, prefix := range []string{"webhook-", "hookflow-", "content-"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	switch name {
	case "host", "user-agent", "connection", "transfer-encoding", "te", "trailer", "upgrade", "keep-alive", "proxy-connection":
		return true
	}
	return false
}

// Masked is the headers as the API shows them: each value replaced by
// bullets, with its last four characters when it is long enough for them
// to give nothing away, so an owner can tell which key is set.
func (h WebhookHeaders) Masked() map[string]string {
	masked := make(map[string]string, len(h))
	for name, value := range h {
		const shown = 4
		if r := []rune(value); len(r) >= 4*shown {
			masked[name] = "••••" + string(r[len(r)-shown:])
		} else {
			masked[name] = "••••"
		}
	}
	return masked
}
