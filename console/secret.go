package console

import (
	"log/slog"
	"strings"
)

// A webhook's signing secret is answered by the API only when it is made
// (created or rotated); the console keeps it in the session until the
// next page shows it, once.

const secretFlash = "secret "

func (c *console) keepSecret(q *request, webhookID, secret string) {
	if err := c.Store.SetConsoleFlash(q.r.Context(), q.token, secretFlash+webhookID+" "+secret); err != nil {
		slog.Error("console: keeping a new secret to show", "error", err)
	}
}

// takeSecret is the webhook's new secret if it is still to be shown.
func (c *console) takeSecret(q *request, webhookID string) string {
	id, secret, ok := strings.Cut(strings.TrimPrefix(q.session.Flash, secretFlash), " ")
	if !ok || id != webhookID || !strings.HasPrefix(q.session.Flash, secretFlash) {
		return ""
	}
	taken, err := c.Store.TakeConsoleFlash(q.r.Context(), q.session, q.token)
	if err != nil || taken == "" {
		return ""
	}
	return secret
}
