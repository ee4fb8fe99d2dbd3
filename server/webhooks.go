package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
)

type webhookInput struct {
	URL          *string                     `json:"url"`
	Events       []models.EventType          `json:"events"`
	DatabaseID   nullableID                  `json:"database_id"`
	CollectionID nullableID                  `json:"collection_id"`
	Format       *models.PayloadFormat       `json:"format"`
	Description  *string                     `json:"description"`
	Status       *models.WebhookStatus       `json:"status"`
	Headers      nullable[map[string]string] `json:"headers"`
	MaxRPS       nullableNumber              `json:"max_rps"`
	MaxInFlight  *float64                    `json:"max_in_flight"`
	Batch        nullable[*batchInput]       `json:"batch"`
}

// batchInput is a webhook's batch settings as given; either may be left
// out for its default.
type batchInput struct {
	MaxEvents *float64 `json:"max_events"`
	MaxWaitMS *float64 `json:"max_wait_ms"`
}

// settings are the batch settings given (validate checked them).
func (b *batchInput) settings() *models.WebhookBatch {
	if b == nil {
		return nil
	}
	s := models.WebhookBatch{MaxEvents: models.DefaultBatchMaxEvents, MaxWaitMS: models.DefaultBatchMaxWaitMS}
	if b.MaxEvents != nil {
		s.MaxEvents = int(*b.MaxEvents)
	}
	if b.MaxWaitMS != nil {
		s.MaxWaitMS = int(*b.MaxWaitMS)
	}
	return &s
}

// validate checks the settings' ranges.
func (b *batchInput) validate(errs *fieldErrors) {
	if b == nil {
		return
	}
	if n := b.MaxEvents; n != nil && (*n != math.Trunc(*n) || *n < models.MinBatchMaxEvents || *n > models.MaxBatchMaxEvents) {
		errs.add("batch.max_events", fmt.Sprintf("must be a whole number of events from %d to %d", models.MinBatchMaxEvents, models.MaxBatchMaxEvents))
	}
	if n := b.MaxWaitMS; n != nil && (*n != math.Trunc(*n) || *n < 0 || *n > models.MaxBatchMaxWaitMS) {
		errs.add("batch.max_wait_ms", fmt.Sprintf("must be a whole number of milliseconds from 0 to %d", models.MaxBatchMaxWaitMS))
	}
}

// errFormNotBatchable explains why a form-encoded webhook has no batches.
const errFormNotBatchable = `a webhook with format "form" cannot be batched: a form has no list of events; use format "json", or set batch to null`

// webhookView is a webhook as the API shows it. The secret and the
// verification file content appear only in the create response.
type webhookView struct {
	*models.Webhook
	// Headers are the custom headers, their values masked.
	Headers map[string]string `json:"headers"`
	// Flow is the webhook's flow control as it stands: live state, which
	// the webhook's ETag (its row version) does not cover.
	Flow         *models.FlowStatus `json:"flow"`
	Secret       string             `json:"secret,omitempty"`
	Verification *verificationFile  `json:"verification,omitempty"`
}

type verificationFile struct {
	Filename string `json:"filename"`
	Content  string `json:"content"`
}

// webhookViews shows webhooks with their flow control as it stands and
// their custom headers masked. A flow that cannot be read is shown as null
// (and logged): the webhook itself was read.
func (s *Server) webhookViews(c *gin.Context) func(*models.Webhook) webhookView {
	now := models.Now()
	return func(w *models.Webhook) webhookView {
		view := webhookView{Webhook: w, Headers: w.Headers.Masked()}
		flow, err := s.Store.WebhookFlowStatus(c.Request.Context(), w, now)
		if err != nil {
			_ = c.Error(err)
			return view
		}
		view.Flow = &flow
		return view
	}
}

func (s *Server) routeWebhooks(v1 *gin.RouterGroup) {
	v1.POST("/webhooks", s.createWebhook)
	v1.GET("/webhooks", s.listWebhooks)
	v1.GET("/webhooks/:id", s.getWebhook)
	v1.PATCH("/webhooks/:id", s.updateWebhook)
	v1.DELETE("/webhooks/:id", s.deleteWebhook)
	v1.GET("/webhooks/:id/verification-file", s.downloadVerificationFile)
	v1.POST("/webhooks/:id/verify", s.verifyWebhook)
	v1.POST("/webhooks/:id/test", s.testWebhook)
	v1.POST("/webhooks/:id/rotate-secret", s.rotateSecret)
	v1.POST("/webhooks/check", s.checkWebhooks)
	s.routeWebhookLifecycle(v1)
	v1.GET("/databases/:id/webhooks", s.listDatabaseWebhooks)
	v1.GET("/collections/:id/webhooks", s.listCollectionWebhooks)
}

func (s *Server) createWebhook(c *gin.Context) {
	var in webhookInput
	if !decodeJSON(c, &in) {
		return
	}
	var errs fieldErrors
	if in.URL == nil {
		errs.add("url", "is required")
	}
	if in.Events == nil {
		errs.add("events", "is required")
	}
	if in.Status != nil {
		errs.add("status", "is set by verification; a new webhook starts unverified")
	}
	in.validate(&errs)
	if errs.answered(c) {
		return
	}
	url, ok := s.checkedURL(c, *in.URL, "")
	if !ok {
		return
	}
	scope, ok := in.scope(c, s.Store, models.WebhookScope{})
	if !ok {
		return
	}
	w := models.Webhook{
		ID:                  models.NewID(models.PrefixWebhook),
		Owned:               owned(c),
		URL:                 url,
		Events:              in.Events,
		DatabaseID:          scope.DatabaseID,
		CollectionID:        scope.CollectionID,
		Format:              models.FormatJSON,
		Status:              models.WebhookUnverified,
		VerificationFile:    "hookflow-" + strings.ToLower(rand.Text()) + ".txt",
		VerificationContent: rand.Text(),
	}
	setIf(&w.Format, in.Format)
	setIf(&w.Description, in.Description)
	w.Headers = in.Headers.Value
	w.MaxRPS, w.MaxInFlight = in.MaxRPS.Value, models.DefaultMaxInFlight
	w.Batch = in.Batch.Value.settings()
	if in.MaxInFlight != nil {
		w.MaxInFlight = int(*in.MaxInFlight)
	}
	secret, err := signing.NewSecret()
	if err != nil {
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "could not generate a secret")
		return
	}
	w.Secret = secret
	if err := s.Store.Create(c.Request.Context(), &w); err != nil {
		storeError(c, err)
		return
	}
	s.startVerification(c, w.ID)
	view := webhookView{Webhook: &w, Headers: w.Headers.Masked(), Flow: &models.FlowStatus{}}
	if w.MaxRPS != nil {
		view.Flow.EffectiveRPS = w.MaxRPS
	}
	view.Secret = w.Secret
	view.Verification = &verificationFile{Filename: w.VerificationFile, Content: w.VerificationContent}
	respondTagged(c, http.StatusCreated, view)
}

// validate checks the fields that need no database or network.
func (in *webhookInput) validate(errs *fieldErrors) {
	if in.URL != nil {
		if u, err := netpolicy.ParseCallbackURL(*in.URL); err != nil {
			errs.add("url", err.Error())
		} else if len(u.String()) > netpolicy.MaxURLLength {
			// The escaped form is what is stored; escaping can triple the length.
			errs.add("url", fmt.Sprintf("must be at most %d bytes once percent-encoded", netpolicy.MaxURLLength))
		}
	}
	if in.Events != nil && len(in.Events) == 0 {
		errs.add("events", "must name at least one event type")
	}
	for i, e := range in.Events {
		if !e.Valid() {
			errs.add(fmt.Sprintf("events[%d]", i), fmt.Sprintf("unknown event type %q; known: %s", e, eventTypeList()))
		} else if slices.Index(in.Events, e) != i {
			errs.add(fmt.Sprintf("events[%d]", i), fmt.Sprintf("%q is listed twice", e))
		}
	}
	if in.Format != nil && *in.Format != models.FormatJSON && *in.Format != models.FormatForm {
		errs.add("format", `must be "json" or "form"`)
	}
	errs.optionalText("description", in.Description, 1024)
	if in.Headers.Set {
		errs.headers("headers", in.Headers.Value)
	}
	if in.MaxRPS.Value != nil && !(*in.MaxRPS.Value > 0 && *in.MaxRPS.Value <= models.MaxMaxRPS) {
		errs.add("max_rps", fmt.Sprintf("must be a number of requests per second above 0 and at most %d, or null for unlimited", models.MaxMaxRPS))
	}
	if in.MaxInFlight != nil {
		if n := *in.MaxInFlight; n != math.Trunc(n) || n < 1 || n > models.MaxMaxInFlight {
			errs.add("max_in_flight", fmt.Sprintf("must be a whole number from 1 to %d", models.MaxMaxInFlight))
		}
	}
	in.Batch.Value.validate(errs)
	if in.Batch.Value != nil && in.Format != nil && *in.Format == models.FormatForm {
		errs.add("batch", errFormNotBatchable)
	}
	if in.Status != nil && !slices.Contains([]models.WebhookStatus{models.WebhookActive, models.WebhookPaused, models.WebhookDisabled}, *in.Status) {
		errs.add("status", `must be "active", "paused" or "disabled"`)
	}
}

// checkedURL checks a callback URL against the network policy, which may
// resolve its host, and returns it as it is stored. A URL equal to
// unchanged is the webhook's own and is not checked again. It answers the
// problem itself and returns false on failure.
func (s *Server) checkedURL(c *gin.Context, raw, unchanged string) (string, bool) {
	u, _ := netpolicy.ParseCallbackURL(raw) // validate parsed it already
	if u.String() == unchanged {
		return unchanged, true
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	if err := s.Network.CheckURL(ctx, u); err != nil {
		invalid(c, FieldError{Field: "url", Reason: err.Error()})
		return "", false
	}
	return u.String(), true
}

// scope is the database and collection the webhook is limited to once the
// input's are applied to current: a collection implies its database, and
// both must exist in the request's account. It answers the problem itself
// and returns false on failure.
func (in *webhookInput) scope(c *gin.Context, store *models.Store, current models.WebhookScope) (models.WebhookScope, bool) {
	scope := current
	if in.DatabaseID.Set {
		scope.DatabaseID = in.DatabaseID.Value
	}
	if in.CollectionID.Set {
		scope.CollectionID = in.CollectionID.Value
	}
	if scope.CollectionID != nil {
		col, ok := reference[models.Collection](c, store, "collection_id", *scope.CollectionID)
		if !ok {
			return scope, false
		}
		switch {
		case scope.DatabaseID == nil:
			scope.DatabaseID = &col.DatabaseID
		case *scope.DatabaseID != col.DatabaseID:
			invalid(c, FieldError{Field: "collection_id", Reason: "collection " + col.ID + " belongs to database " + col.DatabaseID + ", not " + *scope.DatabaseID})
			return scope, false
		}
	}
	if scope.DatabaseID != nil {
		if _, ok := reference[models.Database](c, store, "database_id", *scope.DatabaseID); !ok {
			return scope, false
		}
	}
	return scope, true
}

// edit is what a PATCH changes in the webhook w as read in the write's
// transaction tx: the parts it names, a new URL (url, checked already) as
// the life cycle's URL change, and a status as the owner's transition from
// w's status. It answers the problem itself and returns false when the
// input does not apply to w.
func (in *webhookInput) edit(c *gin.Context, tx *models.Store, url string, w *models.Webhook) (models.WebhookEdit, bool) {
	edit := models.WebhookEdit{Events: in.Events, Format: in.Format, Description: in.Description}
	if in.Headers.Set {
		headers := models.WebhookHeaders(in.Headers.Value)
		edit.Headers = &headers
	}
	if in.MaxRPS.Set {
		edit.MaxRPS = &in.MaxRPS.Value
	}
	if in.MaxInFlight != nil {
		n := int(*in.MaxInFlight)
		edit.MaxInFlight = &n
	}
	if in.Batch.Set {
		batch := in.Batch.Value.settings()
		edit.Batch = &batch
	}
	format, batched := w.Format, w.Batched()
	setIf(&format, in.Format)
	if in.Batch.Set {
		batched = in.Batch.Value != nil
	}
	if batched && format == models.FormatForm {
		invalid(c, FieldError{Field: "batch", Reason: errFormNotBatchable})
		return edit, false
	}
	status := w.Status
	if in.URL != nil && url != w.URL {
		t := models.ChangeWebhookURL(url)
		edit.Transition, status = &t, t.To
	}
	if in.DatabaseID.Set || in.CollectionID.Set {
		scope, ok := in.scope(c, tx, models.WebhookScope{DatabaseID: w.DatabaseID, CollectionID: w.CollectionID})
		if !ok {
			return edit, false
		}
		edit.Scope = &scope
	}
	if in.Status != nil {
		t, err := models.OwnerStatusChange(status, *in.Status)
		if err != nil {
			invalid(c, FieldError{Field: "status", Reason: err.Error()})
			return edit, false
		}
		if t != nil {
			edit.Transition = t // a new URL leaves the webhook unverified, which no owner's transition starts from
		}
	}
	return edit, true
}

func (s *Server) getWebhook(c *gin.Context) {
	if w, ok := load[models.Webhook](c, s.Store, "webhook"); ok {
		respondTagged(c, http.StatusOK, s.webhookViews(c)(w))
	}
}

func (s *Server) updateWebhook(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	var in webhookInput
	if !decodeJSON(c, &in) {
		return
	}
	var errs fieldErrors
	in.validate(&errs)
	if errs.answered(c) {
		return
	}
	// The network check may take seconds: it is made before the write's
	// transaction, against the URL as loaded.
	var url string
	if in.URL != nil {
		if url, ok = s.checkedURL(c, *in.URL, current.URL); !ok {
			return
		}
	}
	urlChanged := false
	var from models.WebhookStatus
	w, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		func(tx *models.Store, w *models.Webhook) (models.Change, error) {
			edit, ok := in.edit(c, tx, url, w)
			if !ok {
				return models.Change{}, errAnswered
			}
			urlChanged = in.URL != nil && url != w.URL
			from = w.Status
			return edit.Change(), nil
		}, nil)
	if err != nil {
		writeFailed(c, "webhook", current.ID, err)
		return
	}
	if urlChanged {
		s.startVerification(c, w.ID)
	}
	s.movedWebhook(c, w, from)
	if in.Batch.Value != nil && w.Status == models.WebhookActive && from == models.WebhookActive {
		s.startBatching(c, w) // a move to active started it already
	}
	respondTagged(c, http.StatusOK, s.webhookViews(c)(w))
}

func (s *Server) deleteWebhook(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	if _, err := models.RemoveOwned[models.Webhook](c.Request.Context(), s.Store, current.AccountID, current.ID, pre, nil); err != nil {
		writeFailed(c, "webhook", current.ID, err)
		return
	}
	s.stopVerification(c, current.ID)
	s.movedWebhook(c, &models.Webhook{ID: current.ID, Owned: current.Owned}, current.Status)
	c.Status(http.StatusNoContent)
}

func (s *Server) downloadVerificationFile(c *gin.Context) {
	w, ok := load[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, w.VerificationFile))
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(w.VerificationContent+"\n"))
}

func (s *Server) listWebhooks(c *gin.Context) {
	var errs fieldErrors
	var filters []models.Filter
	if e := models.EventType(c.Query("event")); e != "" {
		if !e.Valid() {
			errs.add("event", "unknown event type; known: "+eventTypeList())
		}
		filters = append(filters, models.Where("events LIKE ?", `%"`+string(e)+`"%`))
	}
	if st := models.WebhookStatus(c.Query("status")); st != "" {
		if !st.Valid() {
			errs.add("status", "unknown status")
		}
		filters = append(filters, models.Where("status = ?", st))
	}
	if len(errs) > 0 {
		abortProblem(c, http.StatusBadRequest, "invalid query parameter", errs...)
		return
	}
	if id := c.Query("database_id"); id != "" {
		if !filterReference[models.Database](c, s.Store, "database", id) {
			return
		}
		filters = append(filters, models.Where("database_id = ?", id))
	}
	if id := c.Query("collection_id"); id != "" {
		if !filterReference[models.Collection](c, s.Store, "collection", id) {
			return
		}
		filters = append(filters, models.Where("collection_id = ?", id))
	}
	respondList(c, filters, s.webhookViews(c), s.Store)
}

func (s *Server) listDatabaseWebhooks(c *gin.Context) {
	if db, ok := load[models.Database](c, s.Store, "database"); ok {
		respondList(c, []models.Filter{models.Where("database_id = ?", db.ID)}, s.webhookViews(c), s.Store)
	}
}

func (s *Server) listCollectionWebhooks(c *gin.Context) {
	if col, ok := load[models.Collection](c, s.Store, "collection"); ok {
		respondList(c, []models.Filter{models.Where("collection_id = ?", col.ID)}, s.webhookViews(c), s.Store)
	}
}

func eventTypeList() string {
	names := make([]string, len(models.EventTypes))
	for i, t := range models.EventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
