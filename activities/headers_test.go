package activities

import (
	"net/http"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// A webhook's custom headers go with every request to it: deliveries and
// the testing tool's, read back from the database as stored.
func TestCustomHeadersGoWithEveryRequest(t *testing.T) {
	a := newActivities(t)
	f := createAudience(t, a)
	rc := newReceiver(t, answering(http.StatusNoContent))
	custom := models.WebhookHeaders{"X-Api-Key": "k-0123456789abcdef", "Authorization": "Bearer gateway-token"}
	w := createWebhook(t, a, rc.URL+"/hook", func(w *models.Webhook) { w.Headers = custom })

	e := createEvent(t, a, f, models.EventOpen)
	if _, err := a.DeliverFirstAttempts(t.Context(), e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendTestEvent(t.Context(), WebhookTestInput{WebhookID: w.ID, TestID: models.NewID(models.PrefixTest), EventType: models.EventOpen}); err != nil {
		t.Fatal(err)
	}
	reqs := rc.received()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want a delivery and a test", len(reqs))
	}
	for i, req := range reqs {
		for name, want := range custom {
			if got := req.Header.Get(name); got != want {
				t.Errorf("request %d: header %s = %q, want %q", i, name, got, want)
			}
		}
		if req.Header.Get("Webhook-Signature") == "" || req.Header.Get("User-Agent") != "hookflow/test" {
			t.Errorf("request %d lacks hookflow's own headers: %v", i, req.Header)
		}
	}
}
