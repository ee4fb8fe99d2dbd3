package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// batchIDs are the ids of the events in a batch request, in its order; it
// fails the test unless the request is a batch.
func batchIDs(t testing.TB, r receivedRequest) []string {
	t.Helper()
	require.Equal(t, "batch", r.Payload["type"], "a batched webhook gets batches: %s", r.Body)
	require.Equal(t, "batch", r.Headers.Get("Hookflow-Event-Type"))
	var ids []string
	for _, e := range r.Payload["events"].([]any) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

// postOpens stores n open events of the message through the batch ingest
// endpoint and returns their ids in the order sent.
func (s *system) postOpens(message map[string]any, n int) []string {
	events := make([]map[string]any, n)
	for i := range events {
		events[i] = map[string]any{"type": "open", "message_id": message["id"]}
	}
	var answer struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	s.call("POST", "/v1/events/batch", map[string]any{"events": events}, http.StatusAccepted, &answer)
	ids := make([]string, n)
	for i, r := range answer.Results {
		ids[i] = r.ID
	}
	return ids
}

// awaitBatchedEvents collects the events of successful batch requests
// until want have arrived, in the order they arrived.
func awaitBatchedEvents(t testing.TB, rc *receiver, want int) (ids []string, requests []receivedRequest) {
	t.Helper()
	for len(ids) < want {
		r := rc.next()
		requests = append(requests, r)
		ids = append(ids, batchIDs(t, r)...)
	}
	return ids, requests
}

// TestBatchedDelivery: a batched webhook gets its events in signed batches
// (verified with the Standard Webhooks library by the receiver), at most
// max_events each, in the order they were stored; the events start no
// workflow of their own; a failing batch is retried whole with the same
// body and webhook-id; a paused webhook's events wait and come, in order,
// once it is active again; and hundreds of events through batches lose
// none and duplicate none.
func TestBatchedDelivery(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "ann@example.com"}, map[string]any{})
	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "open")
	s.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"batch": map[string]any{"max_events": 5, "max_wait_ms": 300}}, http.StatusOK, nil)

	// Order within and across batches, max_events each.
	sent := s.postOpens(message, 12)
	got, requests := awaitBatchedEvents(t, rc, len(sent))
	require.Equal(t, sent, got, "every event once, in the order stored")
	require.Len(t, batchIDs(t, requests[0]), 5, "a batch holds max_events")
	for _, r := range requests {
		require.Equal(t, wh.ID, r.Headers.Get("Hookflow-Webhook-Id"))
	}
	_, err := s.temporal.DescribeWorkflowExecution(t.Context(), workflows.DeliveryWorkflowID(sent[0]), "")
	var notFound *serviceerror.NotFound
	require.ErrorAs(t, err, &notFound, "a batched event starts no delivery workflow of its own")
	var batch models.Delivery
	require.NoError(t, s.store.DB(t.Context()).Where("id = ?", requests[0].Headers.Get("webhook-id")).Take(&batch).Error)
	require.Equal(t, models.EventBatch, batch.EventType)
	require.Equal(t, 5, batch.EventCount)
	var detail struct {
		Events []string `json:"events"`
		Status string   `json:"status"`
	}
	s.call("GET", "/v1/deliveries/"+batch.ID, nil, http.StatusOK, &detail)
	require.Equal(t, sent[:5], detail.Events)
	require.Equal(t, "succeeded", detail.Status)

	// A failing batch is retried whole: same body, same webhook-id.
	before := len(rc.received())
	failing := before // the next request, only
	rc.mu.Lock()
	rc.answer = func(n int) int {
		if n == failing {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	rc.mu.Unlock()
	retried := s.postOpens(message, 3)
	got, _ = awaitBatchedEvents(t, rc, len(retried))
	require.Equal(t, retried, got)
	all := rc.received()[before:]
	require.Len(t, all, 2, "503, then the retry")
	require.Equal(t, http.StatusServiceUnavailable, all[0].Status)
	require.Equal(t, string(all[0].Body), string(all[1].Body), "the retry sends the same body")
	require.Equal(t, all[0].Headers.Get("webhook-id"), all[1].Headers.Get("webhook-id"), "and the same webhook-id")
	require.Equal(t, "2", all[1].Headers.Get("Hookflow-Attempt"))

	// Paused: nothing is sent; resumed: the waiting events come in order.
	s.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"status": "paused"}, http.StatusOK, nil)
	before = len(rc.received())
	held := s.postOpens(message, 7)
	time.Sleep(1500 * time.Millisecond) // five times max_wait_ms
	require.Len(t, rc.received(), before, "nothing is sent to a paused webhook")
	s.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"status": "active"}, http.StatusOK, nil)
	got, _ = awaitBatchedEvents(t, rc, len(held))
	require.Equal(t, held, got, "drained in order after the resume")

	// Many events through batches: none lost, none twice.
	s.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"batch": map[string]any{"max_events": 100, "max_wait_ms": 200}}, http.StatusOK, nil)
	var many []string
	for range 4 {
		many = append(many, s.postOpens(message, 150)...)
	}
	got, requests = awaitBatchedEvents(t, rc, len(many))
	require.ElementsMatch(t, many, got, fmt.Sprintf("%d events in %d batches: each once", len(many), len(requests)))
	position := map[string]int{}
	for i, id := range many {
		position[id] = i
	}
	for _, r := range requests {
		ids := batchIDs(t, r)
		for i := 1; i < len(ids); i++ {
			require.Less(t, position[ids[i-1]], position[ids[i]], "a batch lists its events in the order they were stored")
		}
	}
	require.LessOrEqual(t, len(requests), len(many)/20, "batches, not single deliveries")

	// Unbatched with nothing waiting, the batching workflow ends.
	s.call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"batch": nil}, http.StatusOK, nil)
	s.history(workflows.BatchingWorkflowID(wh.ID), "batching-until-unbatched")
}
