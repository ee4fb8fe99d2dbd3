package e2e

import (
	"encoding/json"
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
	s := startSystemWith(t, systemOptions{outage: true, settings: activities.Settings{
		RequestTimeout:      time.Second,
		RetryWindow:         time.Hour,
		FirstRetryDelay:     500 * time.Millisecond,
		MaxRetryDelay:       2 * time.Second,
		MaxOutageRetryDelay: time.Second,
	}})
	t.Logf("database: %s", modelstest.Describe())
	message := s.sendMessage(map[string]any{"email": "dora@example.com"}, map[string]any{})
	slow := newReceiver(t) // answers 200 after 800 ms: first attempts are in flight
	slow.delay = 800 * time.Millisecond
	flaky := newReceiver(t) // answers a first attempt 500: retries are waiting
	flaky.failFirstAttempts = true
	receivers := []*receiver{slow, flaky}
	for _, rc := range receivers {
		rc.arrived = make(chan receivedRequest, 1000)
		s.registerWebhook(rc, "delivery")
	}

	var mu sync.Mutex
	var sent int
	var accepted []string
	post := func() {
		status, body := s.request("POST", "/v1/events", map[string]any{"type": "delivery", "message_id": message["id"]})
		mu.Lock()
		defer mu.Unlock()
		sent++
		if status == http.StatusAccepted {
			var event struct{ ID string }
			require.NoError(t, json.Unmarshal(body, &event))
			accepted = append(accepted, event.ID)
		}
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
	acceptedBefore := len(accepted)
	require.Equal(t, 40, acceptedBefore, "every event is accepted while the database is up")

	s.outage.Begin()
	outageStart := time.Now()
	inFlight := 0
	for _, rc := range receivers {
		inFlight += len(rc.received())
	}
	t.Logf("database down; %d of %d first attempts had reached a receiver", inFlight, 2*acceptedBefore)
	for time.Since(outageStart) < outageLength {
		post() // refused: the event cannot be stored
		time.Sleep(time.Second)
	}
	s.outage.End()
	t.Logf("database back after %v", time.Since(outageStart).Round(time.Second))

	// Wait until every accepted event reached every receiver.
	delivered := func() (pairs map[string]map[*receiver][]string, duplicates int) {
		pairs = map[string]map[*receiver][]string{}
		for _, rc := range receivers {
			for _, r := range rc.received() {
				if r.Status != http.StatusOK {
					continue
				}
				id := r.Headers.Get(activities.HeaderEventID)
				if pairs[id] == nil {
					pairs[id] = map[*receiver][]string{}
				}
				if len(pairs[id][rc]) > 0 {
					duplicates++
				}
				pairs[id][rc] = append(pairs[id][rc], r.Headers.Get("webhook-id"))
			}
		}
		return pairs, duplicates
	}
	lost := func() int {
		pairs, _ := delivered()
		n := 0
		for _, id := range accepted {
			for _, rc := range receivers {
				if len(pairs[id][rc]) == 0 {
					n++
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(60 * time.Second)
	for lost() > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	recovered := time.Since(outageStart) - outageLength

	pairs, duplicates := delivered()
	deliveredPairs := 0
	for _, id := range accepted {
		deliveredPairs += len(pairs[id])
		for rc, webhookIDs := range pairs[id] {
			for _, whid := range webhookIDs {
				require.Equal(t, webhookIDs[0], whid, "event %s reached %s twice with different webhook-ids", id, rc.URL)
			}
		}
	}
	t.Logf("sent %d events, accepted %d (%d refused while the database was down); %d deliveries expected, %d delivered, %d duplicates (same webhook-id), %d lost; the last arrived %v after the database came back",
		sent, len(accepted), sent-len(accepted), 2*len(accepted), deliveredPairs, duplicates, lost(), recovered.Round(100*time.Millisecond))
	require.Zero(t, lost(), "deliveries lost")
	require.Less(t, len(accepted), sent, "events sent while the database was down are refused, not accepted")

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
