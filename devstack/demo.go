package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/receiver"
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
}

// Demo is the example receiver (package receiver), checking both
// signatures of every webhook and printing it, and the data seeded to send
// it some.
type Demo struct {
	ReceiverURL string
	WebhookID   string
	OpenURL     string
	ClickURL    string
	srv         *http.Server
	dir         string // the receiver's VerificationDir
}

// StartDemo opens the receiver's port, seeds a database, a profile, a
// message and a webhook to the receiver through the API, serves the
// receiver with the webhook's secret and verification file, verifies the
// webhook, and prints how to trigger a delivery.
func StartDemo(ctx context.Context, opts DemoOptions) (*Demo, error) {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.ReceiverAddr == "" {
		opts.ReceiverAddr = "127.0.0.1:0"
	}
	// The listener comes first: the webhook's URL needs its port. Requests
	// wait in its backlog until the receiver serves them.
	ln, err := net.Listen("tcp", opts.ReceiverAddr)
	if err != nil {
		return nil, fmt.Errorf("demo receiver: %w", err)
	}
	dir, err := os.MkdirTemp("", "hookflow-demo-")
	if err != nil {
		ln.Close()
		return nil, err
	}
	d := &Demo{ReceiverURL: "http://" + ln.Addr().String() + "/hooks/demo", dir: dir}
	a := api{apiclient.Client{BaseURL: opts.APIURL, Token: opts.Token}}
	rcv, err := d.seed(ctx, a)
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	rcv.Out = linePrefixer{w: opts.Out, prefix: "Demo receiver: "}
	d.srv = &http.Server{Handler: receiver.Handler(rcv), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	if err := a.verify(ctx, d.WebhookID); err != nil {
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

// Close stops the receiver and removes its verification file.
func (d *Demo) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	return errors.Join(err, os.RemoveAll(d.dir))
}

// seed creates the demo's data and webhook, writes the webhook's
// verification file into d.dir, and returns the receiver's options.
func (d *Demo) seed(ctx context.Context, a api) (receiver.Options, error) {
	var keys struct {
		Keys []signing.PublicKey `json:"keys"`
	}
	if err := a.Call(ctx, "GET", "/v1/signing-keys", nil, &keys); err != nil {
		return receiver.Options{}, err
	}
	if len(keys.Keys) == 0 {
		return receiver.Options{}, errors.New("the API publishes no signing key")
	}

	dbID, err := a.findOrCreateDatabase(ctx)
	if err != nil {
		return receiver.Options{}, err
	}
	profileID, err := a.findOrCreateProfile(ctx, dbID)
	if err != nil {
		return receiver.Options{}, err
	}
	var msg struct {
		OpenURL   string   `json:"open_url"`
		ClickURLs []string `json:"click_urls"`
	}
	err = a.Call(ctx, "POST", "/v1/messages", map[string]any{
		"profile_id": profileID, "tags": []string{"demo"},
		"links": []map[string]any{{"url": "https://example.com/", "tags": []string{"demo-link"}}},
	}, &msg)
	if err != nil {
		return receiver.Options{}, err
	}
	d.OpenURL = msg.OpenURL
	if len(msg.ClickURLs) > 0 {
		d.ClickURL = msg.ClickURLs[0]
	}

	if err := a.deleteDemoWebhooks(ctx); err != nil {
		return receiver.Options{}, err
	}
	var wh struct {
		ID           string `json:"id"`
		Secret       string `json:"secret"`
		Verification struct {
			Filename string `json:"filename"`
			Content  string `json:"content"`
		} `json:"verification"`
	}
	err = a.Call(ctx, "POST", "/v1/webhooks", map[string]any{
		"url": d.ReceiverURL, "events": []string{"open", "click"},
		"database_id": dbID, "description": DemoWebhookDescription,
	}, &wh)
	if err != nil {
		return receiver.Options{}, err
	}
	d.WebhookID = wh.ID
	// Base keeps the file the API names inside the directory.
	err = os.WriteFile(filepath.Join(d.dir, filepath.Base(wh.Verification.Filename)), []byte(wh.Verification.Content+"\n"), 0o644)
	if err != nil {
		return receiver.Options{}, err
	}
	opts := receiver.Options{Secret: wh.Secret, PublicKey: keys.Keys[0].PublicKey, VerificationDir: d.dir}
	return opts, opts.Validate()
}

// linePrefixer starts every write, which the receiver makes one line at a
// time, with prefix.
type linePrefixer struct {
	w      io.Writer
	prefix string
}

func (p linePrefixer) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// api is a small client of hookflow's management API.
// api is the demo's client of the API it seeds.
type api struct{ apiclient.Client }

type named struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (a api) findOrCreateDatabase(ctx context.Context) (string, error) {
	id := ""
	err := a.Each(ctx, "/v1/databases", func(raw json.RawMessage) error {
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
	err = a.Call(ctx, "POST", "/v1/databases", map[string]any{"name": DemoDatabaseName}, &db)
	return db.ID, err
}

func (a api) findOrCreateProfile(ctx context.Context, dbID string) (string, error) {
	var found struct {
		Items []named `json:"items"`
	}
	if err := a.Call(ctx, "GET", "/v1/databases/"+dbID+"/profiles?email="+url.QueryEscape(DemoEmail), nil, &found); err != nil {
		return "", err
	}
	if len(found.Items) > 0 {
		return found.Items[0].ID, nil
	}
	var p named
	err := a.Call(ctx, "POST", "/v1/databases/"+dbID+"/profiles", map[string]any{
		"email": DemoEmail, "fields": map[string]any{"firstname": "Ann", "city": "Utrecht"},
	}, &p)
	return p.ID, err
}

// verify verifies the webhook now; the receiver must be serving its file.
func (a api) verify(ctx context.Context, webhookID string) error {
	var verified struct {
		Status string `json:"status"`
	}
	if err := a.Call(ctx, "POST", "/v1/webhooks/"+webhookID+"/verify", nil, &verified); err != nil {
		return err
	}
	if verified.Status != "active" {
		return fmt.Errorf("demo webhook is %q after verification, want active", verified.Status)
	}
	return nil
}

func (a api) deleteDemoWebhooks(ctx context.Context) error {
	var old []string
	err := a.Each(ctx, "/v1/webhooks", func(raw json.RawMessage) error {
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
		if err := a.Call(ctx, "DELETE", "/v1/webhooks/"+id, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
