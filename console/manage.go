package console

import (
	"net/http"
	"net/url"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// manageView is the Manage page: the webhook, its edit form, its life
// cycle, the testing tool, its deliveries, recovery and chart.
type manageView struct {
	webhookFormView
	Webhook                                 models.Webhook
	Scope                                   string
	CanPause, CanResume, CanEnable, CanTest bool
	Secret                                  string
	Stats                                   *models.WebhookStats
	Deliveries                              []models.Delivery
	StatusFilter                            string
	DeliveryStatuses                        []models.DeliveryStatus
	Test                                    *activities.WebhookTestResult
	TestEventType                           string
	RecoverSince                            string
	RecoverCount                            *int64
	Recovery                                *models.Recovery
	Chart                                   chart
}

// manageInput is what a form posted to the Manage page adds to it.
type manageInput struct {
	Form          *webhookForm // the edit form as posted, when it failed
	Fields        fieldErrors
	Error         string
	Test          *activities.WebhookTestResult
	TestEventType string
	RecoverSince  string
	RecoverCount  *int64
}

// deliveryLogSize is how many deliveries the log shows, newest first.
const deliveryLogSize = 50

func (c *console) manage(q *request) {
	c.showManage(q, http.StatusOK, manageInput{})
}

func (c *console) showManage(q *request, status int, in manageInput) {
	id := pathEscape(q.r.PathValue("id"))
	w, err := get[models.Webhook](q, "/v1/webhooks/"+id)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	form := formOf(*w)
	if in.Form != nil {
		form = *in.Form
	}
	fv, err := c.formView(q, form)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	view := manageView{
		webhookFormView:  fv,
		Webhook:          *w,
		Scope:            fv.Catalog.scope(*w),
		CanPause:         models.PauseWebhook().Allows(w.Status),
		CanResume:        models.ResumeWebhook().Allows(w.Status),
		CanEnable:        models.EnableWebhook().Allows(w.Status),
		CanTest:          w.Verified(),
		Secret:           c.takeSecret(q, w.ID),
		StatusFilter:     q.r.URL.Query().Get("status"),
		DeliveryStatuses: models.DeliveryStatuses,
		Test:             in.Test,
		TestEventType:    in.TestEventType,
		RecoverSince:     in.RecoverSince,
		RecoverCount:     in.RecoverCount,
	}
	if view.TestEventType == "" {
		view.TestEventType = string(w.TestEventType())
	}
	if view.Stats, err = get[models.WebhookStats](q, "/v1/webhooks/"+id+"/stats"); err != nil {
		c.apiFailed(q, err)
		return
	}
	query := url.Values{"limit": {itoa(deliveryLogSize)}}
	if view.StatusFilter != "" {
		query.Set("status", view.StatusFilter)
	}
	if view.Deliveries, err = firstPage[models.Delivery](q, "/v1/webhooks/"+id+"/deliveries?"+query.Encode()); err != nil {
		if fields, _, ok := formProblem(err); ok && fields["status"] != "" {
			in.Fields = mergeFields(in.Fields, fieldErrors{"filter_status": fields["status"]})
		} else {
			c.apiFailed(q, err)
			return
		}
	}
	now := time.Now().UTC()
	since := now.Add(-chartWindow)
	recent, err := firstPage[models.Delivery](q, "/v1/webhooks/"+id+"/deliveries?"+url.Values{
		"limit": {itoa(chartSample)}, "since": {since.Format(time.RFC3339)}}.Encode())
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	view.Chart = newChart(recent, since, now)
	if rec := q.r.URL.Query().Get("recovery"); rec != "" {
		if r, err := get[models.Recovery](q, "/v1/recoveries/"+pathEscape(rec)); err == nil && r.WebhookID == w.ID {
			view.Recovery = r
		}
	}
	d := q.page(w.URL)
	d.Fields, d.Error, d.Data = in.Fields, in.Error, view
	c.show(q, status, "manage.html", d)
}

func mergeFields(a, b fieldErrors) fieldErrors {
	if a == nil {
		a = fieldErrors{}
	}
	for k, v := range b {
		a[k] = v
	}
	return a
}

// lifecycle makes one of the webhook's life-cycle moves through the API,
// which says whether it is allowed now.
func (c *console) lifecycle(q *request) {
	id := pathEscape(q.r.PathValue("id"))
	action := q.r.PathValue("action")
	switch action {
	case "pause", "resume", "enable":
		if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/"+id+"/"+action, struct{}{}, nil); err != nil {
			c.manageFailed(q, err)
			return
		}
	case "rotate-secret":
		var rotated struct {
			Secret string `json:"secret"`
		}
		if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/"+id+"/rotate-secret", struct{}{}, &rotated); err != nil {
			c.manageFailed(q, err)
			return
		}
		c.keepSecret(q, q.r.PathValue("id"), rotated.Secret)
	default:
		c.notFound(q.w, q.r)
		return
	}
	http.Redirect(q.w, q.r, "/console/webhooks/"+id, http.StatusSeeOther)
}

// manageFailed shows the Manage page with an API error about the page.
func (c *console) manageFailed(q *request, err error) {
	fields, general, ok := formProblem(err)
	if !ok {
		c.apiFailed(q, err)
		return
	}
	c.showManage(q, http.StatusConflict, manageInput{Fields: fields, Error: general})
}

func (c *console) deletePage(q *request) {
	w, err := get[models.Webhook](q, "/v1/webhooks/"+pathEscape(q.r.PathValue("id")))
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	d := q.page("Delete webhook")
	d.Data = w
	c.show(q, http.StatusOK, "delete.html", d)
}

func (c *console) deleteWebhook(q *request) {
	if err := q.api.Call(q.r.Context(), http.MethodDelete, "/v1/webhooks/"+pathEscape(q.r.PathValue("id")), nil, nil); err != nil {
		c.apiFailed(q, err)
		return
	}
	http.Redirect(q.w, q.r, "/console/webhooks", http.StatusSeeOther)
}

// sendTest is the testing tool: one signed sample event, and what was
// sent and answered.
func (c *console) sendTest(q *request) {
	eventType := q.r.PostFormValue("event_type")
	var res activities.WebhookTestResult
	err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/"+pathEscape(q.r.PathValue("id"))+"/test",
		map[string]string{"event_type": eventType}, &res)
	if err != nil {
		fields, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		c.showManage(q, http.StatusUnprocessableEntity, manageInput{Fields: fields, Error: general, TestEventType: eventType})
		return
	}
	c.showManage(q, http.StatusOK, manageInput{Test: &res, TestEventType: eventType})
}

// recover counts (dry run) or starts a recovery of the failed deliveries
// since the time given, read as UTC.
func (c *console) recover(q *request) {
	id := pathEscape(q.r.PathValue("id"))
	raw := q.r.PostFormValue("since")
	in := manageInput{RecoverSince: raw}
	since, err := time.ParseInLocation("2006-01-02T15:04", raw, time.UTC)
	if err != nil {
		in.Fields = fieldErrors{"since": "Enter a date and time (UTC), like 2026-12-01T09:30."}
		c.showManage(q, http.StatusUnprocessableEntity, in)
		return
	}
	body := map[string]any{"since": since.Format(time.RFC3339), "dry_run": q.r.PostFormValue("action") != "start"}
	var res struct {
		Total int64  `json:"total"`
		ID    string `json:"id"`
	}
	if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/"+id+"/recover", body, &res); err != nil {
		fields, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		in.Fields, in.Error = fields, general
		c.showManage(q, http.StatusUnprocessableEntity, in)
		return
	}
	if body["dry_run"] == true {
		in.RecoverCount = &res.Total
		c.showManage(q, http.StatusOK, in)
		return
	}
	http.Redirect(q.w, q.r, "/console/webhooks/"+id+"?recovery="+url.QueryEscape(res.ID), http.StatusSeeOther)
}
