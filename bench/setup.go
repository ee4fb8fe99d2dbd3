package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow/apiclient"
)

// benchMaxInFlight is how many requests each bench webhook takes at once:
// the default (10) would have flow control throttle the run as soon as
// Temporal runs more workflows at once than that, measuring the limit
// instead of the engine.
const benchMaxInFlight = 100

// setUp creates, through the API, a database with one profile and one
// message to it, and k verified webhooks for deliveries in that database
// pointing at the receiver. It returns the event to send (a delivery of
// that message) and what removes the webhooks afterwards. Scoping the
// webhooks to the run's own database keeps other webhooks of the install
// out of the figures, and these out of other runs. A batch, when not nil,
// is the webhooks' batch settings.
func setUp(ctx context.Context, api apiclient.Client, rc *receiver, run string, k int, batch map[string]any) (map[string]any, func(), error) {
	var db, profile, message struct{ ID string }
	if err := api.Call(ctx, "POST", "/v1/databases", map[string]any{"name": "hookflow bench " + run}, &db); err != nil {
		return nil, nil, err
	}
	if err := api.Call(ctx, "POST", "/v1/databases/"+db.ID+"/profiles", map[string]any{
		"email": "bench@example.com", "fields": map[string]any{"firstname": "Ann", "city": "Utrecht"},
	}, &profile); err != nil {
		return nil, nil, err
	}
	if err := api.Call(ctx, "POST", "/v1/messages", map[string]any{"profile_id": profile.ID}, &message); err != nil {
		return nil, nil, err
	}
	var webhooks []string
	cleanup := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, id := range webhooks {
			_ = api.Call(ctx, "DELETE", "/v1/webhooks/"+id, nil, nil) // best effort: the run is over
		}
	}
	for i := range k {
		path := fmt.Sprintf("/hookflow/%s/%d/handler", run, i)
		var wh struct {
			ID, Secret   string
			Verification struct{ Filename, Content string }
		}
		if err := api.Call(ctx, "POST", "/v1/webhooks", map[string]any{
			"url": rc.URL + path, "events": []string{"delivery"}, "database_id": db.ID,
			"description": "hookflow bench " + run, "batch": batch, "max_in_flight": benchMaxInFlight,
		}, &wh); err != nil {
			cleanup()
			return nil, nil, err
		}
		webhooks = append(webhooks, wh.ID)
		if err := rc.endpoint(path, wh.Secret); err != nil {
			cleanup()
			return nil, nil, err
		}
		rc.serveFile(fmt.Sprintf("/hookflow/%s/%d/%s", run, i, wh.Verification.Filename), wh.Verification.Content)
		if err := api.Call(ctx, "POST", "/v1/webhooks/"+wh.ID+"/verify", nil, nil); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	return map[string]any{"type": "delivery", "message_id": message.ID}, cleanup, nil
}
