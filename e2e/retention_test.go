package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// The retention schedule every worker sets up (one, however many call it)
// runs the Prune workflow, which deletes what was delivered longer ago than
// the worker's retention and keeps what still waits to be delivered and
// what is recent.
func TestRetentionScheduleDeletesWhatWasDeliveredLongAgo(t *testing.T) {
	s := startSystemWith(t, systemOptions{settings: activities.Settings{Retention: 24 * time.Hour}})
	message := s.sendMessage(map[string]any{"email": "hal@example.com"}, map[string]any{})
	rc := newReceiver(t)
	wh := s.registerWebhook(rc, "delivery")
	var recent map[string]any
	s.call("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]}, http.StatusAccepted, &recent)
	rc.next()
	s.awaitWorkflow(workflows.DeliveryWorkflowID(recent["id"].(string)))

	// Two days ago: one event delivered, one still retrying.
	ctx := t.Context()
	at := models.Now().Add(-48 * time.Hour)
	old := func(settled bool, status models.DeliveryStatus) (*models.Event, *models.Delivery) {
		e := &models.Event{ID: modelstest.IDAt(models.PrefixEvent, at), AccountID: models.DefaultAccountID, Type: models.EventDelivery,
			OccurredAt: at, ReceivedAt: at, DispatchedAt: &at}
		if settled {
			e.SettledAt = &at
		}
		d := &models.Delivery{ID: modelstest.IDAt(models.PrefixDelivery, at), Owned: models.Owned{AccountID: models.DefaultAccountID},
			EventID: e.ID, WebhookID: wh.ID, EventType: e.Type, Status: status, Attempts: 1, CreatedAt: at, UpdatedAt: at}
		att := &models.DeliveryAttempt{ID: modelstest.IDAt(models.PrefixAttempt, at), DeliveryID: d.ID, Number: 1, StatusCode: 200, StartedAt: at}
		for _, row := range []any{e, d, att} {
			require.NoError(t, s.store.Create(ctx, row))
		}
		return e, d
	}
	deliveredEvent, delivered := old(true, models.DeliverySucceeded)
	retryingEvent, retrying := old(false, models.DeliveryPending)

	for range 2 {
		require.NoError(t, worker.EnsurePruneSchedule(ctx, s.temporal, taskQueue))
	}
	schedule := s.temporal.ScheduleClient().GetHandle(ctx, workflows.PruneScheduleID)
	require.NoError(t, schedule.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var run string
	require.Eventually(t, func() bool {
		desc, err := schedule.Describe(ctx)
		if err != nil || len(desc.Info.RecentActions) == 0 {
			return false
		}
		run = desc.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		return true
	}, 30*time.Second, 100*time.Millisecond, "the schedule starts a run")
	s.history(run, "prune")

	var res activities.PruneResult
	require.NoError(t, s.temporal.GetWorkflow(ctx, run, "").Get(ctx, &res))
	require.Equal(t, activities.PruneResult{Deliveries: 1, Attempts: 1, Events: 1, Done: true}, res)
	gone := func(id string, row any) bool {
		var n int64
		require.NoError(t, s.store.DB(ctx).Model(row).Where("id = ?", id).Count(&n).Error)
		return n == 0
	}
	require.True(t, gone(deliveredEvent.ID, &models.Event{}) && gone(delivered.ID, &models.Delivery{}), "what was delivered two days ago is pruned")
	require.False(t, gone(retryingEvent.ID, &models.Event{}) || gone(retrying.ID, &models.Delivery{}), "what still retries is kept")
	require.False(t, gone(recent["id"].(string), &models.Event{}), "what was delivered just now is kept")
}
