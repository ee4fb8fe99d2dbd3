package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/workflows"
)

// TestDeletingAnAccountStopsItsDeliveries: an account's webhook is being
// retried when the operator deletes the account; nothing more is sent to
// it, the delivery workflow ends, and another account's webhook on the
// same kind of event never got any of it.
func TestDeletingAnAccountStopsItsDeliveries(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{FirstRetryDelay: 300 * time.Millisecond, MaxRetryDelay: 300 * time.Millisecond}})
	operatorsOwn := newReceiver(t)
	s.registerWebhook(operatorsOwn, "delivery")

	var acme map[string]any
	s.call("POST", "/v1/accounts", map[string]any{"name": "Acme"}, http.StatusCreated, &acme)
	s.account = acme["id"].(string)
	rc := newReceiver(t)
	rc.failFirst = 1 << 20 // a receiver that is down
	rc.retryAfter = "0"
	s.registerWebhook(rc, "delivery")
	message := s.sendMessage(map[string]any{"email": "ann@example.com"}, map[string]any{})
	var event map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &event)
	require.Eventually(t, func() bool { return len(rc.received()) >= 3 }, 30*time.Second, 50*time.Millisecond, "the delivery is retried")

	s.account = ""
	s.call("DELETE", "/v1/accounts/"+acme["id"].(string), nil, http.StatusNoContent, nil)
	atDeletion := len(rc.received())
	s.awaitWorkflow(workflows.DeliveryWorkflowID(event["id"].(string)))
	time.Sleep(time.Second) // three retry delays
	after := len(rc.received())
	require.LessOrEqual(t, after, atDeletion+1, "at most the attempt in flight at the deletion; then nothing")
	require.Empty(t, operatorsOwn.received(), "the default account's webhook got another account's event")
	t.Logf("attempts before the account was deleted: %d; after: %d", atDeletion, after-atDeletion)
}
