package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// A delivery workflow that ends without recording an outcome for every
// webhook (here terminated by hand; a bug would do) is found by the
// reconciler, which the worker's schedule runs, and started again: the
// event is delivered, without sending again what was sent.
func TestReconcilerDeliversAnEventWhoseWorkflowEnded(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{FirstRetryDelay: time.Second, ReconcileAfter: time.Second}})
	message := s.sendMessage(map[string]any{"email": "eve@example.com"}, map[string]any{})
	rc := newReceiver(t)
	// The first run waits five seconds for its retry and is terminated
	// before; the second run keeps to the receiver's Retry-After too (the
	// webhook's flow control remembers it).
	rc.failFirst, rc.retryAfter = 1, "5"
	s.registerWebhook(rc, "delivery")

	var event map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &event)
	id := event["id"].(string)
	require.Eventually(t, func() bool { return len(rc.received()) == 1 }, 30*time.Second, 10*time.Millisecond, "first attempt")
	require.NoError(t, s.temporal.TerminateWorkflow(t.Context(), workflows.DeliveryWorkflowID(id), "", "e2e: the workflow is lost"))

	// Every worker sets the schedule up; the second call finds it there.
	for range 2 {
		require.NoError(t, worker.EnsureReconcileSchedule(t.Context(), s.temporal, taskQueue, time.Second))
	}
	delivered := rc.next()
	require.Equal(t, id, delivered.Payload["id"])
	requests := rc.received()
	require.Len(t, requests, 2, "the 503 of the first run, the 200 of the second; nothing sent twice")
	require.Equal(t, requests[0].Headers.Get("webhook-id"), requests[1].Headers.Get("webhook-id"))
	require.Equal(t, []string{"1", "2"}, []string{requests[0].Headers.Get(activities.HeaderAttempt), requests[1].Headers.Get(activities.HeaderAttempt)})

	var res workflows.DeliveryResult
	require.NoError(t, s.temporal.GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(id), "").Get(t.Context(), &res))
	require.Equal(t, workflows.DeliveryResult{Webhooks: 1, Succeeded: 1}, res)
	e, err := models.Get[models.Event](t.Context(), s.store, id)
	require.NoError(t, err)
	require.NotNil(t, e.SettledAt, "settled by the second run")

	// The replay test keeps a reconciler run's history.
	var pass string
	require.Eventually(t, func() bool {
		resp, err := s.temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.ns, Query: "WorkflowType = 'Reconcile' AND ExecutionStatus = 'Completed'"})
		if err != nil || len(resp.GetExecutions()) == 0 {
			return false
		}
		pass = resp.GetExecutions()[0].GetExecution().GetWorkflowId()
		return true
	}, 30*time.Second, 100*time.Millisecond, "a completed reconciler run")
	s.closedHistory(pass, "reconcile")
}

// An event whose data cannot be read back is skipped with a result that
// says why, and the next event is delivered as if it were not there.
func TestAnUnreadableEventIsSkippedAndHoldsUpNothing(t *testing.T) {
	s := startSystem(t)
	message := s.sendMessage(map[string]any{"email": "fay@example.com"}, map[string]any{})
	rc := newReceiver(t)
	s.registerWebhook(rc, "delivery", "bounce")

	// Stored as the API once could: data nested deeper than encoding/json reads.
	messageID := message["id"].(string)
	poison := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: models.EventBounce, OccurredAt: models.Now(), ReceivedAt: models.Now(),
		MessageID: &messageID, Data: modelstest.DeeplyNested(10001),
	}
	require.NoError(t, s.store.Create(t.Context(), poison))
	require.NoError(t, workflows.Starter{Client: s.temporal, TaskQueue: taskQueue}.StartDelivery(t.Context(), poison))
	var next map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": messageID}, http.StatusAccepted, &next)

	require.Equal(t, next["id"], rc.next().Payload["id"])
	var res workflows.DeliveryResult
	require.NoError(t, s.temporal.GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(poison.ID), "").Get(t.Context(), &res))
	require.True(t, strings.Contains(res.Skipped, poison.ID) && strings.Contains(res.Skipped, "exceeded max depth"), "result %+v says why it was skipped", res)
	s.history(workflows.DeliveryWorkflowID(poison.ID), "delivery-skipped-unreadable")
	require.Len(t, rc.received(), 1, "nothing was sent for the unreadable event")
	var settled int64
	require.NoError(t, s.store.DB(t.Context()).Model(&models.Event{}).Where("id = ? AND settled_at IS NOT NULL", poison.ID).Count(&settled).Error)
	require.EqualValues(t, 1, settled, "the skipped event is settled, so the reconciler leaves it alone")
}
