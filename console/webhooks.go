package console

import (
	"log/slog"
	"net/http"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// webhookRow is one line of the webhooks table.
type webhookRow struct {
	Webhook models.Webhook
	Scope   string
	// Stats are over the last 24 hours (the API's default window); nil
	// when they could not be read.
	Stats *models.WebhookStats
}

type webhooksView struct {
	Rows   []webhookRow
	Checks []activities.WebhookCheck
	// Checked is true once Check now has run (Checks may be empty);
	// NotChecked counts the active webhooks it left out.
	Checked    bool
	NotChecked int
}

// MaxChecked is how many webhooks one check tests at most.
func (webhooksView) MaxChecked() int { return activities.MaxCheckedWebhooks }

func (c *console) webhooks(q *request) {
	c.showWebhooks(q, webhooksView{}, "")
}

func (c *console) showWebhooks(q *request, view webhooksView, failure string) {
	hooks, err := list[models.Webhook](q, "/v1/webhooks")
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	cat, err := loadCatalog(q)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	for _, w := range hooks {
		row := webhookRow{Webhook: w, Scope: cat.scope(w)}
		if st, err := get[models.WebhookStats](q, "/v1/webhooks/"+pathEscape(w.ID)+"/stats"); err == nil {
			row.Stats = st
		} else {
			slog.Warn("console: reading a webhook's stats", "webhook_id", w.ID, "error", err)
		}
		view.Rows = append(view.Rows, row)
	}
	d := q.page("Webhooks")
	d.Error = failure
	d.Data = view
	c.show(q, http.StatusOK, "webhooks.html", d)
}

// checkNow tests every active webhook and shows each result.
func (c *console) checkNow(q *request) {
	var res struct {
		Results    []activities.WebhookCheck `json:"results"`
		NotChecked int                       `json:"not_checked"`
	}
	if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/check", struct{}{}, &res); err != nil {
		_, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		c.showWebhooks(q, webhooksView{}, general)
		return
	}
	c.showWebhooks(q, webhooksView{Checks: res.Results, Checked: true, NotChecked: res.NotChecked}, "")
}
