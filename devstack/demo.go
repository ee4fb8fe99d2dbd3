package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/signing"
)

// Names the demo seeds, so a restart reuses them instead of piling up.
const (
	DemoDatabaseName = "hookflow dev demo"
	DemoEmail        = "ann@example.com"
	// DemoWebhookDescription marks the demo's webhooks: each start deletes
	// the previous ones, whose receivers died with their process.
	DemoWebhookDescription = "hookflow dev --demo receiver"
)

// DemoOptions configure the demo.
type DemoOptions struct {
	APIURL, Token string // the running API
	// ReceiverAddr is where the receiver listens; default a free loopback port.
	ReceiverAddr string
	Out          io.Writer // where the receiver prints webhooks; default discard
	Logger       *slog.Logger
}

// Demo is a local receiver that checks both signatures of every webhook
// and prints it, and the data seeded to send it some.
type Demo struct {
	ReceiverURL string
	WebhookID   string
	OpenURL     string
	ClickURL    string
	srv         *http.Server
	rc          *demoReceiver
}

// StartDemo starts the receiver, then seeds a database, a profile, a
// message and a webhook to the receiver, verified, through the API, and
// prints how to trigger a delivery.
func StartDemo(ctx context.Context, opts DemoOptions) (*Demo, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.ReceiverAddr == "" {
		opts.ReceiverAddr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opts.ReceiverAddr)
	if err != nil {
		return nil, fmt.Errorf("demo receiver: %w", err)
	}
	rc := &demoReceiver{out: opts.Out, files: map[string]string{}, log: opts.Logger}
	d := &Demo{
		ReceiverURL: "http://" + ln.Addr().String() + "/hooks/demo",
		srv:         &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second},
		rc:          rc,
	}
	go func() { _ = d.srv.Serve(ln) }()
	if err := d.seed(ctx, api{base: opts.APIURL, token: opts.Token}); err != nil {
		d.Close()
		return nil, err
	}
	fmt.Fprintf(opts.Out, `Demo: webhook %s (opens and clicks in %q) is verified and delivers to %s,
which checks both signatures and prints what it gets. Open the demo e-mail, or click its link:

  curl -s -o /dev/null %s
  curl -s -o /dev/null %s

`, d.WebhookID, DemoDatabaseName, d.ReceiverURL, d.OpenURL, d.ClickURL)
	return d, nil
}

// Received is how many deliveries verified so far.
func (d *Demo) Received() int {
	d.rc.mu.Lock()
	defer d.rc.mu.Unlock()
	return d.rc.received
}

// Close stops the receiver.
func (d *Demo) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.srv.Shutdown(ctx)
}

func (d *Demo) seed(ctx context.Context, a api) error {
	var keys struct {
		Keys []signing.PublicKey `json:"keys"`
	}
	if err := a.call(ctx, "GET", "/v1/signing-keys", nil, &keys); err != nil {
		return err
	}
	if len(keys.Keys) == 0 {
		return errors.New("the API publishes no signing key")
	}
	d.rc.setPublicKey(keys.Keys[0].PublicKey)

	dbID, err := a.findOrCreateDatabase(ctx)
	if err != nil {
		return err
	}
	profileID, err := a.findOrCreateProfile(ctx, dbID)
	if err != nil {
		return err
	}
	var msg struct {
		OpenURL   string   `json:"open_url"`
		ClickURLs []string `json:"click_urls"`
	}
	err = a.call(ctx, "POST", "/v1/messages", map[string]any{
		"profile_id": profileID, "tags": []string{"demo"},
		"links": []map[string]any{{"url": "https://example.com/", "tags": []string{"demo-link"}}},
	}, &msg)
	if err != nil {
		return err
	}
	d.OpenURL = msg.OpenURL
	if len(msg.ClickURLs) > 0 {
		d.ClickURL = msg.ClickURLs[0]
	}

	if err := a.deleteDemoWebhooks(ctx); err != nil {
		return err
	}
	var wh struct {
		ID           string `json:"id"`
		Secret       string `json:"secret"`
		Verification struct {
			Filename string `json:"filename"`
			Content  string `json:"content"`
		} `json:"verification"`
	}
	err = a.call(ctx, "POST", "/v1/webhooks", map[string]any{
		"url": d.ReceiverURL, "events": []string{"open", "click"},
		"database_id": dbID, "description": DemoWebhookDescription,
	}, &wh)
	if err != nil {
		return err
	}
	d.WebhookID = wh.ID
	d.rc.setWebhook(wh.Secret, "/hooks/"+wh.Verification.Filename, wh.Verification.Content)
	var verified struct {
		Status string `json:"status"`
	}
	if err := a.call(ctx, "POST", "/v1/webhooks/"+wh.ID+"/verify", nil, &verified); err != nil {
		return err
	}
	if verified.Status != "active" {
		return fmt.Errorf("demo webhook is %q after verification, want active", verified.Status)
	}
	return nil
}

// demoReceiver is what a customer runs: it serves the verification file
// and accepts a webhook only when both signatures verify.
type demoReceiver struct {
	out io.Writer
	log *slog.Logger

	mu        sync.Mutex
	files     map[string]string
	secret    string
	publicKey string
	received  int
}

func (rc *demoReceiver) setPublicKey(k string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.publicKey = k
}

func (rc *demoReceiver) setWebhook(secret, path, content string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secret = secret
	rc.files[path] = content
}

func (rc *demoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Method == http.MethodGet {
		content, ok := rc.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, content)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	wh, err := standardwebhooks.NewWebhook(rc.secret)
	if err == nil {
		err = wh.Verify(body, r.Header)
	}
	if err != nil {
		rc.log.Warn("demo receiver: v1 signature does not verify", "err", err)
		http.Error(w, "bad v1 signature", http.StatusUnauthorized)
		return
	}
	if err := signing.VerifyV1a(rc.publicKey, body, r.Header); err != nil {
		rc.log.Warn("demo receiver: v1a signature does not verify", "err", err)
		http.Error(w, "bad v1a signature", http.StatusUnauthorized)
		return
	}
	rc.received++
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "  ", "  ") != nil {
		pretty.Reset()
		pretty.Write(body)
	}
	fmt.Fprintf(rc.out, "Demo receiver: %s webhook (webhook-id %s), v1 and v1a signatures verified:\n  %s\n\n",
		r.Header.Get("Hookflow-Event-Type"), r.Header.Get("webhook-id"), pretty.String())
	w.WriteHeader(http.StatusNoContent)
}

// api is a small client of hookflow's management API.
type api struct{ base, token string }

func (a api) call(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// each calls fn for every item of a paginated list.
func (a api) each(ctx context.Context, path string, fn func(json.RawMessage) error) error {
	cursor := ""
	for {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := a.call(ctx, "GET", path+sep+"limit=200&cursor="+url.QueryEscape(cursor), nil, &page); err != nil {
			return err
		}
		for _, item := range page.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

type named struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (a api) findOrCreateDatabase(ctx context.Context) (string, error) {
	id := ""
	err := a.each(ctx, "/v1/databases", func(raw json.RawMessage) error {
		var db named
		if err := json.Unmarshal(raw, &db); err != nil {
			return err
		}
		if db.Name == DemoDatabaseName && id == "" {
			id = db.ID
		}
		return nil
	})
	if err != nil || id != "" {
		return id, err
	}
	var db named
	err = a.call(ctx, "POST", "/v1/databases", map[string]any{"name": DemoDatabaseName}, &db)
	return db.ID, err
}

func (a api) findOrCreateProfile(ctx context.Context, dbID string) (string, error) {
	var found struct {
		Items []named `json:"items"`
	}
	if err := a.call(ctx, "GET", "/v1/databases/"+dbID+"/profiles?email="+url.QueryEscape(DemoEmail), nil, &found); err != nil {
		return "", err
	}
	if len(found.Items) > 0 {
		return found.Items[0].ID, nil
	}
	var p named
	err := a.call(ctx, "POST", "/v1/databases/"+dbID+"/profiles", map[string]any{
		"email": DemoEmail, "fields": map[string]any{"firstname": "Ann", "city": "Utrecht"},
	}, &p)
	return p.ID, err
}

func (a api) deleteDemoWebhooks(ctx context.Context) error {
	var old []string
	err := a.each(ctx, "/v1/webhooks", func(raw json.RawMessage) error {
		var wh named
		if err := json.Unmarshal(raw, &wh); err != nil {
			return err
		}
		if wh.Description == DemoWebhookDescription {
			old = append(old, wh.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range old {
		if err := a.call(ctx, "DELETE", "/v1/webhooks/"+id, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
