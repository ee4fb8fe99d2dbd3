package activities

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/signing"
)

// newActivities returns activities on a fresh database that call receivers
// on loopback, signing with a real server key.
func newActivities(t testing.TB) *Activities {
	t.Helper()
	return newActivitiesOn(t, modelstest.Open(t))
}

// newActivitiesOn is newActivities on the given store.
func newActivitiesOn(t testing.TB, store *models.Store) *Activities {
	t.Helper()
	keys, err := signing.GenerateKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return &Activities{
		Store:     store,
		HTTP:      netpolicy.Policy{AllowPrivate: true}.NewHTTPClient(2 * time.Second),
		Signer:    signing.Signer{Keys: &keys},
		UserAgent: "hookflow/test",
		Runs:      newFakeRuns(),
	}
}

// audienceFixture is a database with one profile that got one message.
type audienceFixture struct {
	Database   models.Database
	Collection models.Collection
	Profile    models.Profile
	Subprofile models.Subprofile
	Message    models.Message
}

func createAudience(t testing.TB, a *Activities) audienceFixture {
	t.Helper()
	var f audienceFixture
	f.Database = models.Database{ID: models.NewID(models.PrefixDatabase), Name: "Newsletter"}
	f.Collection = models.Collection{ID: models.NewID(models.PrefixCollection), DatabaseID: f.Database.ID, Name: "Orders"}
	f.Profile = models.Profile{
		ID: models.NewID(models.PrefixProfile), DatabaseID: f.Database.ID, Email: "ann@example.com",
		Fields: models.Fields{"name": "Ann", "age": 41.0}, Interests: []string{"cycling"},
	}
	f.Subprofile = models.Subprofile{
		ID: models.NewID(models.PrefixSubprofile), ProfileID: f.Profile.ID, CollectionID: f.Collection.ID,
		Fields: models.Fields{"order": "A-1"},
	}
	f.Message = models.Message{
		ID: models.NewID(models.PrefixMessage), DatabaseID: f.Database.ID, ProfileID: f.Profile.ID,
		SubprofileID: &f.Subprofile.ID, Recipient: "ann@example.com", Tags: []string{"spring", "sale"},
		Links: []models.Link{
			{ID: models.NewID(models.PrefixLink), Position: 0, URL: "https://shop.example.com/shoes?a=1&b=2", Tags: []string{"sale", "shoes"}},
			{ID: models.NewID(models.PrefixLink), Position: 1, URL: "https://shop.example.com/hats", Tags: []string{"hats"}},
		},
	}
	for _, v := range []any{&f.Database, &f.Collection, &f.Profile, &f.Subprofile, &f.Message} {
		if err := a.Store.Create(t.Context(), v); err != nil {
			t.Fatalf("create %T: %v", v, err)
		}
	}
	return f
}

// createEvent stores an event of type typ that happened now, about the
// fixture's message, with only the ids a tracking hit knows.
func createEvent(t testing.TB, a *Activities, f audienceFixture, typ models.EventType, edit ...func(*models.Event)) *models.Event {
	t.Helper()
	e := &models.Event{
		ID: models.NewID(models.PrefixEvent), Type: typ, OccurredAt: models.Now(), ReceivedAt: models.Now(),
		MessageID: &f.Message.ID, IP: "203.0.113.9", UserAgent: "Mail/1.0", Referer: "https://mail.example.com/",
	}
	for _, fn := range edit {
		fn(e)
	}
	if err := a.Store.Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// createWebhook stores a webhook active for an hour, subscribed to open
// and click events, posting JSON to url.
func createWebhook(t testing.TB, a *Activities, url string, edit ...func(*models.Webhook)) *models.Webhook {
	t.Helper()
	secret, err := signing.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	since := models.Now().Add(-time.Hour)
	w := &models.Webhook{
		ID: models.NewID(models.PrefixWebhook), URL: url, Events: []models.EventType{models.EventOpen, models.EventClick},
		Format: models.FormatJSON, Status: models.WebhookActive, ActiveSince: &since, VerifiedAt: &since, Secret: secret,
		VerificationFile: "hookflow-abc123.txt", VerificationContent: "CONTENT42",
	}
	for _, fn := range edit {
		fn(w)
	}
	if err := a.Store.Create(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

// receivedRequest is one request a test receiver got.
type receivedRequest struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// receiver is a test HTTP server that answers with the statuses given in
// turn (the last one repeats) and keeps every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []receivedRequest
}

func newReceiver(t testing.TB, answer func(w http.ResponseWriter, n int)) *receiver {
	t.Helper()
	return newReceiverOf(t, func(w http.ResponseWriter, _ *http.Request, _ []byte, n int) { answer(w, n) })
}

// newReceiverOf is a receiver whose answer may depend on the request (its
// body given), the nth it got.
func newReceiverOf(t testing.TB, answer func(w http.ResponseWriter, r *http.Request, body []byte, n int)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, receivedRequest{Header: r.Header.Clone(), Body: body, At: time.Now()})
		n := len(rc.requests)
		rc.mu.Unlock()
		answer(w, r, body, n)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// answering replies with the given statuses in turn, the last one repeating.
func answering(codes ...int) func(http.ResponseWriter, int) {
	return func(w http.ResponseWriter, n int) {
		w.WriteHeader(codes[min(n, len(codes))-1])
	}
}

func (rc *receiver) received() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.requests...)
}

func deliveryOf(t testing.TB, a *Activities, eventID, webhookID string) models.Delivery {
	t.Helper()
	var d models.Delivery
	if err := a.Store.DB(t.Context()).Where("event_id = ? AND webhook_id = ?", eventID, webhookID).Take(&d).Error; err != nil {
		t.Fatalf("delivery of %s to %s: %v", eventID, webhookID, err)
	}
	return d
}

func attemptsOf(t testing.TB, a *Activities, deliveryID string) []models.DeliveryAttempt {
	t.Helper()
	var atts []models.DeliveryAttempt
	if err := a.Store.DB(t.Context()).Where("delivery_id = ?", deliveryID).Order("number").Find(&atts).Error; err != nil {
		t.Fatal(err)
	}
	return atts
}

func applicationError(t testing.TB, err error) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("err = %v (%T), want a *temporal.ApplicationError", err, err)
	}
	return appErr
}

func eventOf(t testing.TB, a *Activities, id string) *models.Event {
	t.Helper()
	var e models.Event
	if err := a.Store.DB(t.Context()).Select("id", "settled_at", "reconciled_at").Where("id = ?", id).Take(&e).Error; err != nil {
		t.Fatalf("event %s: %v", id, err)
	}
	return &e
}
