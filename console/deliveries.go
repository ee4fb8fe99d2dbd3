package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/workflows"
)

// deliveryDetail is the API's delivery with its attempts.
type deliveryDetail struct {
	models.Delivery
	Live              bool                     `json:"live"`
	AttemptsLeft      *int                     `json:"attempts_left"`
	RetryWindowEndsAt *time.Time               `json:"retry_window_ends_at"`
	AttemptLog        []models.DeliveryAttempt `json:"attempt_log"`
}

type deliveryView struct {
	Delivery deliveryDetail
	Webhook  *models.Webhook
	// WorkflowURL is the delivery's workflow in the Temporal Web UI;
	// empty when the console does not know the UI.
	WorkflowURL string
}

func (c *console) delivery(q *request) {
	c.showDelivery(q, http.StatusOK, "")
}

func (c *console) showDelivery(q *request, status int, failure string) {
	d, err := get[deliveryDetail](q, "/v1/deliveries/"+pathEscape(q.r.PathValue("id")))
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	view := deliveryView{Delivery: *d}
	if w, err := get[models.Webhook](q, "/v1/webhooks/"+pathEscape(d.WebhookID)); err == nil {
		view.Webhook = w
	}
	if c.TemporalUI != "" {
		view.WorkflowURL = c.TemporalUI + "/namespaces/" + url.PathEscape(c.Namespace) +
			"/workflows/" + url.PathEscape(workflows.DeliveryWorkflowID(d.EventID))
	}
	page := q.page("Delivery " + d.ID)
	page.Error, page.Data = failure, view
	c.show(q, status, "delivery.html", page)
}

// resend delivers a finished delivery again.
func (c *console) resend(q *request) {
	id := pathEscape(q.r.PathValue("id"))
	if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/deliveries/"+id+"/resend", struct{}{}, nil); err != nil {
		_, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		c.showDelivery(q, http.StatusConflict, general)
		return
	}
	http.Redirect(q.w, q.r, "/console/deliveries/"+id, http.StatusSeeOther)
}
