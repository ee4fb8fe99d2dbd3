package console

import (
	"fmt"
	"net/http"
	"strconv"
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
	// Batched asks for batched delivery; the batch settings are kept as
	// typed, so that a wrong one comes back as it was.
	Batched                        bool
	BatchMaxEvents, BatchMaxWaitMS string
}

// setBatch fills in the form's batch settings from b, or, for a webhook
// that is not batched (nil), the API's defaults, which ticking the box
// would give it.
func (f *webhookForm) setBatch(b *models.WebhookBatch) {
	f.Batched = b != nil
	if b == nil {
		b = &models.WebhookBatch{MaxEvents: models.DefaultBatchMaxEvents, MaxWaitMS: models.DefaultBatchMaxWaitMS}
	}
	f.BatchMaxEvents, f.BatchMaxWaitMS = strconv.Itoa(b.MaxEvents), strconv.Itoa(b.MaxWaitMS)
}

// webhookFormView is the form with its choices.
type webhookFormView struct {
	Form       webhookForm
	EventTypes []models.EventType
	Catalog    catalog
}

// The ranges of the batch settings, for the form's inputs.
func (webhookFormView) MinBatchMaxEvents() int { return models.MinBatchMaxEvents }
func (webhookFormView) MaxBatchMaxEvents() int { return models.MaxBatchMaxEvents }
func (webhookFormView) MaxBatchMaxWaitMS() int { return models.MaxBatchMaxWaitMS }

func formOf(w models.Webhook) webhookForm {
	f := webhookForm{URL: w.URL, Events: map[models.EventType]bool{}, Format: string(w.Format)}
	f.setBatch(w.Batch)
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
		URL:            strings.TrimSpace(r.PostFormValue("url")),
		Events:         map[models.EventType]bool{},
		DatabaseID:     r.PostFormValue("database_id"),
		CollectionID:   r.PostFormValue("collection_id"),
		Format:         r.PostFormValue("format"),
		Batched:        r.PostFormValue("batch") == "on",
		BatchMaxEvents: strings.TrimSpace(r.PostFormValue("batch_max_events")),
		BatchMaxWaitMS: strings.TrimSpace(r.PostFormValue("batch_max_wait_ms")),
	}
	for _, e := range r.PostForm["events"] {
		f.Events[models.EventType(e)] = true
	}
	return f
}

// body is the form as the API's webhook input; an empty database or
// collection is "any" (null), which a new webhook leaves out, as is an
// unticked batch box. A batch setting that is not a number is the form's
// own error (the API would only see JSON it cannot read); an empty one is
// left for the API's default.
func (f webhookForm) body(creating bool) (map[string]any, fieldErrors) {
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
	var invalid fieldErrors
	switch {
	case f.Batched:
		batch := map[string]any{}
		for _, setting := range []struct{ name, value, unit string }{
			{"max_events", f.BatchMaxEvents, "events"}, {"max_wait_ms", f.BatchMaxWaitMS, "milliseconds"}} {
			if setting.value == "" {
				continue
			}
			n, err := strconv.ParseFloat(setting.value, 64)
			if err != nil {
				if invalid == nil {
					invalid = fieldErrors{}
				}
				invalid["batch."+setting.name] = fmt.Sprintf("Must be a whole number of %s.", setting.unit)
				continue
			}
			batch[setting.name] = n
		}
		b["batch"] = batch
	case !creating:
		b["batch"] = nil
	}
	return b, invalid
}

func (c *console) formView(q *request, f webhookForm) (webhookFormView, error) {
	cat, err := loadCatalog(q)
	return webhookFormView{Form: f, EventTypes: models.EventTypes, Catalog: cat}, err
}

func (c *console) newWebhook(q *request) {
	f := webhookForm{Format: string(models.FormatJSON)}
	f.setBatch(nil)
	c.showNewWebhook(q, http.StatusOK, f, nil, "")
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
	body, invalid := f.body(true)
	if invalid != nil {
		c.showNewWebhook(q, http.StatusUnprocessableEntity, f, invalid, "")
		return
	}
	if err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks", body, &created); err != nil {
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
	body, invalid := f.body(false)
	if invalid != nil {
		c.showManage(q, http.StatusUnprocessableEntity, manageInput{Form: &f, Fields: invalid})
		return
	}
	if err := q.api.Call(q.r.Context(), http.MethodPatch, "/v1/webhooks/"+pathEscape(id), body, nil); err != nil {
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
