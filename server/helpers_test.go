package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/models/modelstest"
	"github.com/hookflow/hookflow/netpolicy"
	"github.com/hookflow/hookflow/server"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/tracking"
)

const (
	testToken     = "test-token"
	testPublicURL = "http://hookflow.test"
	// publicHook is a callback URL on a literal public address: accepted
	// without DNS, which the tests do not have.
	publicHook = "https://93.184.216.34/hooks/handler.php"
)

// newServer serves the API over a fresh, migrated store. Options may
// change the defaults (body limit, network policy) before it is built.
func newServer(t testing.TB, options ...func(*server.Options)) http.Handler {
	t.Helper()
	return newAPI(t, options...).Handler()
}

// newAPI is newServer's server itself, for tests that call its methods
// (the sweeper) as well as serve it.
func newAPI(t testing.TB, options ...func(*server.Options)) *server.Server {
	t.Helper()
	opts := server.Options{
		Store:     modelstest.Open(t),
		APIToken:  testToken,
		PublicURL: testPublicURL,
		Network:   netpolicy.Policy{},
		Tracking:  tracking.NewTokens("k"),
	}
	for _, o := range options {
		o(&opts)
	}
	s := server.New(opts)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shut the server down: %v", err)
		}
	})
	return s
}

// withDispatch sizes the server's dispatcher.
func withDispatch(workers, queue int) func(*server.Options) {
	return func(o *server.Options) { o.DispatchWorkers, o.DispatchQueue = workers, queue }
}

// withTrackingLimit sets the tracking rate limit.
func withTrackingLimit(perSecond float64, burst int) func(*server.Options) {
	return func(o *server.Options) { o.TrackingRate, o.TrackingBurst = perSecond, burst }
}

func withMaxBody(n int64) func(*server.Options) {
	return func(o *server.Options) { o.MaxBodyBytes = n }
}

// withStore serves from store instead of a fresh one, so that servers can
// share a database as API processes do. Options after it see store.
func withStore(store *models.Store) func(*server.Options) {
	return func(o *server.Options) { o.Store = store }
}

// keepStore hands the test the server's store, for setting up states the
// API cannot reach on its own (a verified webhook).
func keepStore(dst **models.Store) func(*server.Options) {
	return func(o *server.Options) { *dst = o.Store }
}

func allowPrivate(o *server.Options) { o.Network = netpolicy.Policy{AllowPrivate: true} }

// withWorkflows serves with a Workflows (usually a *workflowsDouble).
func withWorkflows(w server.Workflows) func(*server.Options) {
	return func(o *server.Options) { o.Workflows = w }
}

// withTrustedProxies names the proxies whose X-Forwarded-For is believed.
func withTrustedProxies(proxies ...string) func(*server.Options) {
	return func(o *server.Options) { o.TrustedProxies = proxies }
}

// withTrackingKey signs tracking tokens with secret, so a test can make
// tokens of its own with tracking.NewTokens(secret).
func withTrackingKey(secret string) func(*server.Options) {
	return func(o *server.Options) { o.Tracking = tracking.NewTokens(secret) }
}

func withSigningKeys(keys ...signing.PublicKey) func(*server.Options) {
	return func(o *server.Options) { o.SigningKeys = keys }
}

// response is what do returns: the status, headers, raw body and, when
// the body is a JSON object, that object.
type response struct {
	Code   int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// str returns a top-level string member, or "" when it is absent or not a string.
func (r response) str(key string) string {
	s, _ := r.Body[key].(string)
	return s
}

// items returns the objects of a list response.
func (r response) items() []map[string]any {
	raw, _ := r.Body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, v := range raw {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

// ids returns the ids of a list response's items, in order.
func (r response) ids() []string {
	var out []string
	for _, it := range r.items() {
		s, _ := it["id"].(string)
		out = append(out, s)
	}
	return out
}

// problemFields returns the field names of a problem's errors[].
func (r response) problemFields() []string {
	raw, _ := r.Body["errors"].([]any)
	var out []string
	for _, e := range raw {
		m, _ := e.(map[string]any)
		f, _ := m["field"].(string)
		out = append(out, f)
	}
	return out
}

type requestOption func(*http.Request)

// withToken replaces the Authorization header; "" sends none.
func withToken(token string) requestOption {
	return withHeader("Authorization", token)
}

func withHeader(key, value string) requestOption {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(key)
		} else {
			r.Header.Set(key, value)
		}
	}
}

// withRemoteAddr sets the address the request comes from (httptest's
// default is 192.0.2.1:1234).
func withRemoteAddr(addr string) requestOption {
	return func(r *http.Request) { r.RemoteAddr = addr }
}

// do sends one request with the test token. body is sent as is when it is
// a string or []byte, JSON-encoded otherwise, and omitted when nil.
func do(t testing.TB, h http.Handler, method, path string, body any, opts ...requestOption) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode request body: %v", err)
		}
		reader = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, reader)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := response{Code: rec.Code, Header: rec.Header(), Raw: rec.Body.Bytes()}
	_ = json.Unmarshal(res.Raw, &res.Body)
	return res
}

// want fails the test unless the response has the given status.
func want(t testing.TB, r response, status int) {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d; body: %s", r.Code, status, r.Raw)
	}
}

// wantProblem checks an RFC 9457 answer: the status, the media type, the
// members, and that each named field is among errors[] with a reason.
func wantProblem(t testing.TB, r response, status int, fields ...string) {
	t.Helper()
	want(t, r, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if r.Body == nil {
		t.Fatalf("problem body is not a JSON object: %s", r.Raw)
	}
	if got, _ := r.Body["status"].(float64); int(got) != status {
		t.Errorf("problem status member %v, want %d", r.Body["status"], status)
	}
	if r.str("title") != http.StatusText(status) || r.str("type") == "" || r.str("detail") == "" {
		t.Errorf("problem lacks type, title or detail: %s", r.Raw)
	}
	raw, _ := r.Body["errors"].([]any)
	for _, e := range raw {
		m, _ := e.(map[string]any)
		if reason, _ := m["reason"].(string); reason == "" {
			t.Errorf("error %v has no reason", m)
		}
	}
	got := r.problemFields()
	for _, f := range fields {
		if !slices.Contains(got, f) {
			t.Errorf("problem names fields %q, want %q among them; body: %s", got, f, r.Raw)
		}
	}
}

// mustCreate POSTs body to path, requires 201 and returns the new object's id.
func mustCreate(t testing.TB, h http.Handler, path string, body any) string {
	t.Helper()
	r := do(t, h, http.MethodPost, path, body)
	want(t, r, http.StatusCreated)
	id := r.str("id")
	if id == "" {
		t.Fatalf("POST %s answered no id: %s", path, r.Raw)
	}
	return id
}

func createDatabase(t testing.TB, h http.Handler, name string) string {
	t.Helper()
	return mustCreate(t, h, "/v1/databases", map[string]any{"name": name})
}

func createCollection(t testing.TB, h http.Handler, dbID, name string) string {
	t.Helper()
	return mustCreate(t, h, "/v1/databases/"+dbID+"/collections", map[string]any{"name": name})
}

func createProfile(t testing.TB, h http.Handler, dbID, email string) string {
	t.Helper()
	return mustCreate(t, h, "/v1/databases/"+dbID+"/profiles", map[string]any{"email": email})
}

func createSubprofile(t testing.TB, h http.Handler, profileID, collectionID string) string {
	t.Helper()
	return mustCreate(t, h, "/v1/profiles/"+profileID+"/subprofiles", map[string]any{"collection_id": collectionID})
}

// createWebhook registers publicHook for events, with extra members merged in.
func createWebhook(t testing.TB, h http.Handler, events []string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"url": publicHook, "events": events}
	for k, v := range extra {
		body[k] = v
	}
	return mustCreate(t, h, "/v1/webhooks", body)
}

// audience is a database with one collection, profile and subprofile.
type audience struct{ DB, Collection, Profile, Subprofile string }

func createAudience(t testing.TB, h http.Handler) audience {
	t.Helper()
	var a audience
	a.DB = createDatabase(t, h, "Newsletter")
	a.Collection = createCollection(t, h, a.DB, "Orders")
	a.Profile = createProfile(t, h, a.DB, "ann@example.com")
	a.Subprofile = createSubprofile(t, h, a.Profile, a.Collection)
	return a
}

// workflowsDouble stands in for Temporal behind server.Workflows: it
// records every call and answers what the test configured. Safe for the
// sweeper's goroutine.
type workflowsDouble struct {
	mu          sync.Mutex
	deliveryErr error
	refused     map[string]error // StartDelivery of these event ids fails so
	block       chan struct{}    // StartDelivery waits for it to close, ignoring its context
	blocked     int              // StartDelivery calls waiting on block now
	verifyNow   func(ctx context.Context, webhookID string) (activities.VerificationResult, error)
	// testWebhook and checkWebhooks answer TestWebhook and CheckWebhooks
	// (see webhooktest_test.go); unset, they fail.
	testWebhook   func(ctx context.Context, in activities.WebhookTestInput) (activities.WebhookTestResult, error)
	checkWebhooks func(ctx context.Context, accountID string) ([]activities.WebhookCheck, error)
	schedule      func(eventID, deliveryID string) (*models.DeliverySchedule, error)
	recoveryErr   error // StartRecovery fails so
	calls         workflowCalls
}

// workflowCalls are the ids each method was called with, in call order.
type workflowCalls struct {
	DeliveryAttempts []string    // event ids, failed calls included
	AttemptTimes     []time.Time // when each of DeliveryAttempts was made
	Deliveries       []string    // event ids of the calls that succeeded
	Verifications    []string    // webhook ids of StartVerification
	VerifyNow        []string
	Stops            []string // webhook ids of StopVerification
	Tests            []activities.WebhookTestInput
	Checks           []string // account ids of CheckWebhooks
	Resends          []models.Delivery
	Recoveries       []string // ids of StartRecovery
	Cancels          []string // ids of CancelRecovery
	Releases         []string // webhook ids of ReleaseHeld
	Looks            []string // webhook ids of LookAgain
	Batchings        []string // webhook ids of StartBatching
}

var _ server.Workflows = (*workflowsDouble)(nil)

// failDeliveries makes StartDelivery fail with err; nil makes it succeed.
func (w *workflowsDouble) failDeliveries(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deliveryErr = err
}

// refuseDelivery makes StartDelivery of one event fail with err.
func (w *workflowsDouble) refuseDelivery(eventID string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.refused == nil {
		w.refused = map[string]error{}
	}
	w.refused[eventID] = err
}

// answerVerifyNow sets what VerifyNow does; unset, it fails.
func (w *workflowsDouble) answerVerifyNow(fn func(ctx context.Context, webhookID string) (activities.VerificationResult, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.verifyNow = fn
}

// recorded returns a copy of the calls so far.
func (w *workflowsDouble) recorded() workflowCalls {
	w.mu.Lock()
	defer w.mu.Unlock()
	return workflowCalls{
		DeliveryAttempts: slices.Clone(w.calls.DeliveryAttempts),
		AttemptTimes:     slices.Clone(w.calls.AttemptTimes),
		Deliveries:       slices.Clone(w.calls.Deliveries),
		Verifications:    slices.Clone(w.calls.Verifications),
		VerifyNow:        slices.Clone(w.calls.VerifyNow),
		Stops:            slices.Clone(w.calls.Stops),
		Tests:            slices.Clone(w.calls.Tests),
		Checks:           slices.Clone(w.calls.Checks),
		Resends:          slices.Clone(w.calls.Resends),
		Releases:         slices.Clone(w.calls.Releases),
		Looks:            slices.Clone(w.calls.Looks),
		Recoveries:       slices.Clone(w.calls.Recoveries),
		Cancels:          slices.Clone(w.calls.Cancels),
		Batchings:        slices.Clone(w.calls.Batchings),
	}
}

// blockDeliveries makes StartDelivery hang, deaf to its context, as a
// Temporal that accepts connections and never answers would; the returned
// function lets every call waiting, and later ones, go on.
func (w *workflowsDouble) blockDeliveries() (release func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	block := make(chan struct{})
	w.block = block
	return sync.OnceFunc(func() {
		w.mu.Lock()
		w.block = nil
		w.mu.Unlock()
		close(block)
	})
}

// blockedCalls counts the StartDelivery calls hanging now.
func (w *workflowsDouble) blockedCalls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.blocked
}

func (w *workflowsDouble) StartDelivery(_ context.Context, e *models.Event) error {
	w.mu.Lock()
	if block := w.block; block != nil {
		w.blocked++
		w.mu.Unlock()
		<-block
		w.mu.Lock()
		w.blocked--
	}
	defer w.mu.Unlock()
	w.calls.DeliveryAttempts = append(w.calls.DeliveryAttempts, e.ID)
	w.calls.AttemptTimes = append(w.calls.AttemptTimes, time.Now())
	if w.deliveryErr != nil {
		return w.deliveryErr
	}
	if err := w.refused[e.ID]; err != nil {
		return err
	}
	w.calls.Deliveries = append(w.calls.Deliveries, e.ID)
	return nil
}

func (w *workflowsDouble) StartVerification(_ context.Context, webhookID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Verifications = append(w.calls.Verifications, webhookID)
	return nil
}

func (w *workflowsDouble) VerifyNow(ctx context.Context, webhookID string) (activities.VerificationResult, error) {
	w.mu.Lock()
	w.calls.VerifyNow = append(w.calls.VerifyNow, webhookID)
	fn := w.verifyNow
	w.mu.Unlock() // fn may use the store; do not hold the lock meanwhile
	if fn == nil {
		return activities.VerificationResult{}, errors.New("workflowsDouble: VerifyNow not configured")
	}
	return fn(ctx, webhookID)
}

func (w *workflowsDouble) StopVerification(_ context.Context, webhookID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Stops = append(w.calls.Stops, webhookID)
	return nil
}

// answerSchedule sets what DeliverySchedule answers; unset, it fails.
func (w *workflowsDouble) answerSchedule(fn func(eventID, deliveryID string) (*models.DeliverySchedule, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.schedule = fn
}

func (w *workflowsDouble) DeliverySchedule(_ context.Context, eventID, deliveryID string) (*models.DeliverySchedule, error) {
	w.mu.Lock()
	fn := w.schedule
	w.mu.Unlock()
	if fn == nil {
		return nil, errors.New("workflowsDouble: DeliverySchedule not configured")
	}
	return fn(eventID, deliveryID)
}

func (w *workflowsDouble) ResendDelivery(_ context.Context, d *models.Delivery) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Resends = append(w.calls.Resends, *d)
	return nil
}

func (w *workflowsDouble) ReleaseHeld(_ context.Context, webhookID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Releases = append(w.calls.Releases, webhookID)
	return nil
}

func (w *workflowsDouble) StartBatching(_ context.Context, webhookID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Batchings = append(w.calls.Batchings, webhookID)
	return nil
}

func (w *workflowsDouble) LookAgain(_ context.Context, webhookID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Looks = append(w.calls.Looks, webhookID)
	return nil
}

func (w *workflowsDouble) StartRecovery(_ context.Context, recoveryID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Recoveries = append(w.calls.Recoveries, recoveryID)
	return w.recoveryErr
}

func (w *workflowsDouble) CancelRecovery(_ context.Context, recoveryID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls.Cancels = append(w.calls.Cancels, recoveryID)
	return nil
}

// wantStartedOnce checks each event's delivery was started exactly once.
func wantStartedOnce(t testing.TB, wf *workflowsDouble, eventIDs ...string) {
	t.Helper()
	calls := wf.recorded()
	for _, id := range eventIDs {
		if n := countOf(calls.Deliveries, id); n != 1 {
			t.Errorf("delivery of event %s started %d times, want once", id, n)
		}
	}
}

// countOf counts the occurrences of id in ids.
func countOf(ids []string, id string) int {
	n := 0
	for _, v := range ids {
		if v == id {
			n++
		}
	}
	return n
}

// storedEvents reads events straight from the store, oldest first.
func storedEvents(t testing.TB, store *models.Store, query string, args ...any) []models.Event {
	t.Helper()
	var events []models.Event
	if err := store.DB(t.Context()).Where(query, args...).Order("received_at, id").Find(&events).Error; err != nil {
		t.Fatalf("read events: %v", err)
	}
	return events
}

// storedEvent reads the one event matching the query, failing unless there is exactly one.
func storedEvent(t testing.TB, store *models.Store, query string, args ...any) models.Event {
	t.Helper()
	events := storedEvents(t, store, query, args...)
	if len(events) != 1 {
		t.Fatalf("%d events where %s %v, want 1: %+v", len(events), query, args, events)
	}
	return events[0]
}

// deref reads an optional id for messages; nil reads as "<nil>".
func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// eventually polls cond until it holds, failing the test after 10 s with
// what describe says then. Background work (the dispatcher, the sweeper)
// is checked with it, never with sleeps of guessed length.
func eventually(t testing.TB, cond func() bool, describe func() string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after 10s: %s", describe())
		}
	}
}

// waitDispatched waits until the dispatcher has started the delivery of
// every stored event and marked it so, and returns the events.
func waitDispatched(t testing.TB, store *models.Store) []models.Event {
	t.Helper()
	eventually(t, func() bool { return len(storedEvents(t, store, "dispatched_at IS NULL")) == 0 }, func() string {
		return fmt.Sprintf("%d events not dispatched", len(storedEvents(t, store, "dispatched_at IS NULL")))
	})
	return storedEvents(t, store, "1 = 1")
}

// subscribeToAll stores an active webhook of the default account that
// takes every event type, unless the store has it: events stored after it
// are wanted, and have their delivery started (an event no webhook wants
// is stored settled, and gets no workflow).
func subscribeToAll(t testing.TB, store *models.Store) {
	t.Helper()
	since := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // before any event's timestamp
	w := &models.Webhook{
		ID: "wh_takes_every_event", Owned: models.Owned{AccountID: models.DefaultAccountID},
		URL: "https://example.com/every-event", Events: slices.Clone(models.EventTypes), Format: models.FormatJSON,
		Status: models.WebhookActive, ActiveSince: &since, Secret: "whsec_dGVzdA==",
	}
	if err := store.Create(t.Context(), w); err != nil && !errors.Is(err, models.ErrConflict) {
		t.Fatal(err)
	}
}
