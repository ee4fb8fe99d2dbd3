package activities

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/models"
)

// What the activities log about a delivery is one JSON object a line with
// the JSON handler the commands use, naming the delivery, its event, its
// webhook and their account with hookflow's attribute names.
func TestDeliveryLogsNameTheDeliveryAndWhatItBelongsTo(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusServiceUnavailable, http.StatusNotFound))
	const account = "acc_logs"
	w := createWebhook(t, a, rc.URL, func(w *models.Webhook) { w.AccountID = account })
	e := createEvent(t, a, f, models.EventOpen, func(e *models.Event) { e.AccountID = account })

	var out bytes.Buffer
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewJSONHandler(&out, nil))))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	if _, err := env.ExecuteActivity(a.DeliverFirstAttempts, e.ID); err != nil {
		t.Fatal(err)
	}
	d := deliveryOf(t, a, e.ID, w.ID)
	if _, err := env.ExecuteActivity(a.RetryDelivery, d.ID); err == nil {
		t.Fatal("a 404 fails the delivery for good: want its non-retryable error")
	}

	want := map[string]string{"account_id": account, "event_id": e.ID, "delivery_id": d.ID, "webhook_id": w.ID}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var record map[string]any
		if err := json.Unmarshal(sc.Bytes(), &record); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		msg, _ := record["msg"].(string)
		if !strings.HasPrefix(msg, "Delivery") {
			continue
		}
		seen[msg] = true
		for k, v := range want {
			if record[k] != v {
				t.Errorf("%q: %s = %v, want %s\n%s", msg, k, record[k], v, sc.Text())
			}
		}
	}
	for _, msg := range []string{"Delivery attempt failed; it is tried again later", "Delivery failed"} {
		if !seen[msg] {
			t.Errorf("no %q logged:\n%s", msg, out.String())
		}
	}
}
