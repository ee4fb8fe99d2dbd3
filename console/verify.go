package console

import (
	"errors"
	"mime"
	"net/http"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/models"
)

type verifyView struct {
	Webhook  models.Webhook
	Secret   string
	Filename string
	// Locations are where the file may be placed (the callback's
	// directory and the web root).
	Locations []string
	// Reasons say, per location, why the last Verify failed.
	Reasons  []string
	Verified bool
}

func (c *console) verifyPage(q *request) {
	c.showVerify(q, http.StatusOK, nil, "")
}

func (c *console) showVerify(q *request, status int, reasons []string, general string) {
	id := q.r.PathValue("id")
	w, err := get[models.Webhook](q, "/v1/webhooks/"+pathEscape(id))
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	view := verifyView{Webhook: *w, Secret: c.takeSecret(q, w.ID), Reasons: reasons, Verified: w.Verified()}
	if !view.Verified {
		_, header, err := q.api.Fetch(q.r.Context(), http.MethodGet, "/v1/webhooks/"+pathEscape(id)+"/verification-file", nil)
		if err != nil {
			c.apiFailed(q, err)
			return
		}
		if _, params, err := mime.ParseMediaType(header.Get("Content-Disposition")); err == nil {
			view.Filename = params["filename"]
		}
		view.Locations, _ = activities.VerificationURLs(w.URL, view.Filename)
	}
	d := q.page("Verify ownership")
	d.Error, d.Data = general, view
	c.show(q, status, "verify.html", d)
}

// verify checks the verification file now: verified, the page says so;
// else it lists each location's reason.
func (c *console) verify(q *request) {
	id := q.r.PathValue("id")
	err := q.api.Call(q.r.Context(), http.MethodPost, "/v1/webhooks/"+pathEscape(id)+"/verify", struct{}{}, nil)
	var apiErr *apiclient.Error
	switch {
	case err == nil:
		http.Redirect(q.w, q.r, "/console/webhooks/"+pathEscape(id)+"/verify", http.StatusSeeOther)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnprocessableEntity:
		reasons := make([]string, len(apiErr.Problem.Errors))
		for i, fe := range apiErr.Problem.Errors {
			reasons[i] = fe.Reason
		}
		c.showVerify(q, http.StatusUnprocessableEntity, reasons, problemText(apiErr))
	default:
		if _, general, ok := formProblem(err); ok {
			c.showVerify(q, http.StatusOK, nil, general)
			return
		}
		c.apiFailed(q, err)
	}
}

// verificationFile downloads the file to place on the receiver, as the
// API answers it (its name is hookflow-<token>.txt).
func (c *console) verificationFile(q *request) {
	body, header, err := q.api.Fetch(q.r.Context(), http.MethodGet, "/v1/webhooks/"+pathEscape(q.r.PathValue("id"))+"/verification-file", nil)
	if err != nil {
		c.apiFailed(q, err)
		return
	}
	q.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	q.w.Header().Set("Content-Disposition", header.Get("Content-Disposition"))
	_, _ = q.w.Write(body)
}
