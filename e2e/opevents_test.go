package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// Webhook A fails every request until its retry window runs out. Webhook
// B, subscribed to delivery.exhausted, gets one signed event about A's
// delivery (its receiver verifies it with the official library); A, also
// subscribed, never gets one about itself.
func TestDeliveryExhaustedReachesTheOtherWebhooksOnly(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{
		RequestTimeout:  time.Second,
		RetryWindow:     3 * time.Second,
		FirstRetryDelay: 300 * time.Millisecond,
		MaxRetryDelay:   time.Second,
	}})
	message := s.sendMessage(map[string]any{"email": "erin@example.com"}, map[string]any{})
	failing := newReceiver(t)
	failing.answer = func(int) int { return http.StatusServiceUnavailable }
	failingHook := s.registerWebhook(failing, "delivery", "delivery.exhausted")
	watcher := newReceiver(t)
	watcherHook := s.registerWebhook(watcher, "delivery.exhausted")

	var event map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &event)
	eventID := event["id"].(string)
	s.awaitWorkflow(workflows.DeliveryWorkflowID(eventID))

	got := watcher.next()
	require.Equal(t, "delivery.exhausted", got.Payload["type"])
	require.Equal(t, "delivery.exhausted", got.Headers.Get("Hookflow-Event-Type"))
	data, _ := got.Payload["data"].(map[string]any)
	var failed models.Delivery
	require.NoError(t, s.store.DB(t.Context()).Where("event_id = ? AND webhook_id = ?", eventID, failingHook.ID).Take(&failed).Error)
	require.Equal(t, models.DeliveryFailed, failed.Status)
	require.Equal(t, failed.ID, data["delivery_id"])
	require.Equal(t, eventID, data["event_id"])
	require.Equal(t, "delivery", data["event_type"])
	require.Equal(t, failingHook.ID, data["webhook_id"])
	require.Equal(t, float64(failed.Attempts), data["attempts"])
	require.Equal(t, activities.ReasonRetryWindowRanOut, data["reason"])
	last, _ := data["last_result"].(map[string]any)
	require.Equal(t, 503.0, last["status_code"], "the last result: %v", data)

	exhaustedID := got.Payload["id"].(string)
	s.awaitWorkflow(workflows.DeliveryWorkflowID(exhaustedID))
	var detail struct {
		SubjectWebhookID string            `json:"subject_webhook_id"`
		Deliveries       []models.Delivery `json:"deliveries"`
	}
	s.call("GET", "/v1/events/"+exhaustedID, nil, http.StatusOK, &detail)
	require.Equal(t, failingHook.ID, detail.SubjectWebhookID)
	require.Len(t, detail.Deliveries, 1, "delivered to the watcher only")
	require.Equal(t, watcherHook.ID, detail.Deliveries[0].WebhookID)

	for _, r := range failing.received() {
		require.Equal(t, "delivery", r.Headers.Get("Hookflow-Event-Type"), "the failing webhook hears nothing about itself")
	}
	require.Len(t, watcher.received(), 1, "one delivery.exhausted, once")
	var exhausted int64
	require.NoError(t, s.store.DB(t.Context()).Model(&models.Event{}).Where("type = ?", models.EventDeliveryExhausted).Count(&exhausted).Error)
	require.EqualValues(t, 1, exhausted)
}
