package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/workflows"
)

// The database goes away while deliveries are in flight, for longer than
// every timeout of the worker (request 1 s, backoffs up to 2 s, outage
// retries 1 s apart), of a RetryDelivery attempt (16 s), of a workflow task
// (10 s), of the local activity's quick retries, and of the 31 s after
// which the first-attempts local activity used to give up and fail the
// workflow (the outage that lost events in hookflow dev), then comes back.
// Every event the API accepted reaches every receiver; a request sent but
// not recorded before the outage may arrive twice, always with the same
// webhook-id.
func TestNothingIsLostWhenTheDatabaseGoesAway(t *testing.T) {
	const outageLength = 33 * time.Second
	s := startSystemWith(t, systemOptions{outage: true, settings: outageSettings})
	t.Logf("database: %s", modelstest.Describe())
	message := s.sendMessage(map[string]any{"email": "dora@example.com"}, map[string]any{})
	receivers := s.slowAndFlakyReceivers()

	var book ledger
	post := func() int {
		return book.post(s, map[string]any{"type": "delivery", "message_id": message["id"]})
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				post()
			}
		})
	}
	wg.Wait()
	require.Len(t, book.acceptedIDs(), 40, "every event is accepted while the database is up")

	s.outage.Begin()
	outageStart := time.Now()
	inFlight := 0
	for _, rc := range receivers {
		inFlight += len(rc.received())
	}
	t.Logf("database down; %d of %d first attempts had reached a receiver", inFlight, 2*40)
	for time.Since(outageStart) < outageLength {
		status, body := s.request("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]})
		book.book(t, status, body)
		require.Equal(t, http.StatusServiceUnavailable, status, "an event that cannot be stored is refused: %s", body)
		requireProblem(t, body)
		status, _ = s.request("GET", "/readyz", nil)
		require.Equal(t, http.StatusServiceUnavailable, status, "/readyz fails while the database is down")
		time.Sleep(time.Second)
	}
	s.outage.End()
	t.Logf("database back after %v", time.Since(outageStart).Round(time.Second))

	tl := book.awaitDelivered(t, "database outage of "+outageLength.String()+", "+modelstest.Describe(), 60*time.Second, receivers...)
	t.Logf("the last delivery arrived within %v after the database came back", (time.Since(outageStart) - outageLength).Round(100*time.Millisecond))
	require.Less(t, tl.Accepted, tl.Sent, "events sent while the database was down are refused, not accepted")
	accepted := book.acceptedIDs()

	// Every workflow completed with both deliveries succeeded, and every
	// event is settled; some had their first attempts retried durably.
	durable := 0
	for _, id := range accepted {
		var res workflows.DeliveryResult
		run := s.temporal.GetWorkflow(t.Context(), workflows.DeliveryWorkflowID(id), "")
		require.NoError(t, run.Get(t.Context(), &res), "event %s", id)
		require.Equal(t, workflows.DeliveryResult{Webhooks: 2, Succeeded: 2}, res, "event %s", id)
		if scheduledFirstAttempts(t, s.temporal, workflows.DeliveryWorkflowID(id)) {
			durable++
			if durable == 1 {
				s.history(workflows.DeliveryWorkflowID(id), "delivery-first-attempts-after-outage")
			}
		}
	}
	t.Logf("%d workflows ran their first attempts as a regular activity after the local one failed", durable)
	require.Positive(t, durable, "the outage hit first attempts in flight")
	var unsettled int64
	require.NoError(t, s.store.DB(t.Context()).Model(&models.Event{}).Where("id IN ? AND settled_at IS NULL", accepted).Count(&unsettled).Error)
	require.Zero(t, unsettled, "events not settled")
}

// outageSettings keep the worker's waits short, so that a database outage
// outlasts every one of them (request 1 s, backoffs up to 2 s, outage
// retries 1 s apart).
var outageSettings = activities.Settings{
	RequestTimeout:      time.Second,
	RetryWindow:         time.Hour,
	FirstRetryDelay:     500 * time.Millisecond,
	MaxRetryDelay:       2 * time.Second,
	MaxOutageRetryDelay: time.Second,
}

// slowAndFlakyReceivers registers two webhooks for deliveries, so that an
// outage finds work in every state: one receiver answers 200 after 800 ms
// (first attempts are in flight), the other answers a first attempt 500
// (retries are waiting).
func (s *system) slowAndFlakyReceivers() []*receiver {
	slow := newReceiver(s.t)
	slow.delay = 800 * time.Millisecond
	flaky := newReceiver(s.t)
	flaky.failFirstAttempts = true
	receivers := []*receiver{slow, flaky}
	for _, rc := range receivers {
		rc.arrived = make(chan receivedRequest, 1000)
		s.registerWebhook(rc, "delivery")
	}
	return receivers
}

// scheduledFirstAttempts reports whether a workflow ran DeliverFirstAttempts
// as a regular activity (the local one having failed).
func scheduledFirstAttempts(t *testing.T, c client.Client, workflowID string) bool {
	t.Helper()
	iter := c.GetWorkflowHistory(t.Context(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "DeliverFirstAttempts" {
			return true
		}
	}
	return false
}
