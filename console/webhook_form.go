package console

import (
	"net/http"
	"strings"

	"github.com/hookflow/hookflow/models"
)

// webhookForm is the New webhook and edit form, as posted.
type webhookForm struct {
	URL          string
	Events       map[models.EventType]bool
	DatabaseID   string
	CollectionID string
	Format       string
}

// webhookFormView is the form with its choices.
type webhookFormView struct {
	Form       webhookForm
	EventTypes []models.EventType
	Catalog    catalog
}

func formOf(w models.Webhook) webhookForm {
	f := webhookForm{URL: w.URL, Events: map[models.EventType]bool{}, Format: string(w.Format)}
	for _, e := range w.Events {
		f.Events[e] = true
	}
	if w.DatabaseID != nil {
		f.DatabaseID = *w.DatabaseID
	}
	if w.CollectionID != nil {
		f.CollectionID = *w.CollectionID
	}
	return f
}

func parseWebhookForm(r *http.Request) webhookForm {
	f := webhookForm{
		URL:          strings.TrimSpace(r.PostFormValue("url")),
		Events:       map[models.EventType]bool{},
		DatabaseID:   r.PostFormValue("database_id"),
		CollectionID: r.PostFormValue("collection_id"),
		Format:       r.PostFormValue("format"),
	}
	for _, e := range r.PostForm["events"] {
		f.Events[models.EventType(e)] = true
	}
	return f
}

// body is the form as the API's webhook input; an empty database or
// collection is "any" (null), which a new webhook leaves out.
func (f webhookForm) body(creating bool) map[string]any {
	events := []models.EventType{}
	for _, e := range models.EventTypes {
		if f.Events[e] {
			events = append(events, e)
		}
	}
	for e := range f.Events { // unknown ones too: the API names them
		if !e.Valid() {
			events = append(events, e)
		}
	}
	b := map[string]any{"url": f.URL, "events": events, "format": f.Format}
	for name, id := range map[string]string{"database_id": f.DatabaseID, "collection_id": f.CollectionID} {
		switch {
		case id != "":
			b[name] = id
		case !creating:
			b[name] = nil
		}
	}
	return b
}

func (c *console) formView(q *request, f webhookForm) (webhookFormView, error) {
	cat, err := loadCatalog(q)
	return webhookFormView{Form: f, EventTypes: models.EventTypes, Catalog: cat}, err
}

func (c *console) newWebhook(q *request) {
	c.showNewWebhook(q, http.StatusOK, webhookForm{Format: string(models.FormatJSON)}, nil, "")
}

func (c *console) showNewWebhook(q *request, status int, f webhookForm, fields fieldErrors, general string) {
	view, err := c.formView(q, f)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	d := q.page("New webhook")
	d.Fields, d.Error, d.Data = fields, general, view
	c.show(q, status, "new.html", d)
}

// createWebhook creates the webhook and goes on to its verification,
// which shows the signing secret once.
func (c *console) createWebhook(q *request) {
	f := parseWebhookForm(q.r)
	var created struct {
		models.Webhook
		Secret string `json:"secret"`
	}
	if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks", f.body(true), &created); err != nil {
		fields, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		c.showNewWebhook(q, http.StatusUnprocessableEntity, f, fields, general)
		return
	}
	c.keepSecret(q, created.ID, created.Secret)
	http.Redirect(q.w, q.r, "/console/webhooks/"+pathEscape(created.ID)+"/verify", http.StatusSeeOther)
}

// saveWebhook applies the Manage page's edit form.
func (c *console) saveWebhook(q *request) {
	id := q.r.PathValue("id")
	f := parseWebhookForm(q.r)
	if err := q.api.Call(q.r.Context(), http.MethodPatch, "/v1/webhooks/"+pathEscape(id), f.body(false), nil); err != nil {
		fields, general, ok := formProblem(err)
		if !ok {
			c.apiFailed(q, err)
			return
		}
		c.showManage(q, http.StatusUnprocessableEntity, manageInput{Form: &f, Fields: fields, Error: general})
		return
	}
	http.Redirect(q.w, q.r, "/console/webhooks/"+pathEscape(id), http.StatusSeeOther)
}
