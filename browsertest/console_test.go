// Package browsertest drives hookflow's console in a real browser: Debian's
// Chromium, through playwright-core, against a real "hookflow dev" process
// and an httptest receiver that checks every signature. The scenario itself
// is console.mjs; this test starts what it needs, runs it with node and
// checks what reached the receiver.
package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookflow/hookflow/apiclient"
	"github.com/hookflow/hookflow/cmd/hookflow/hookflowtest"
	"github.com/hookflow/hookflow/receiver"
	"github.com/hookflow/hookflow/signing"
)

// chromium is Debian's package; .ci/run installs it.
const chromium = "/usr/bin/chromium"

// scriptTimeout bounds the whole browser scenario, from node's start to
// its exit.
const scriptTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	code := m.Run()
	hookflowtest.RemoveBinary()
	os.Exit(code)
}

func TestConsoleInChromium(t *testing.T) {
	node := requireBrowser(t)
	dev := hookflowtest.StartDev(t, t.TempDir(), hookflowtest.FreeAddrs(t))
	ctx := t.Context()
	operator := apiclient.Client{BaseURL: dev.API, Token: dev.Token()}
	acme := newAccount(t, operator, "Acme")
	other := newAccount(t, operator, "Other")

	// Acme's audience: someone who opens a message, so the delivery log
	// has a real delivery to show.
	var db, profile, message struct {
		ID      string `json:"id"`
		OpenURL string `json:"open_url"`
	}
	require.NoError(t, acme.Call(ctx, "POST", "/v1/databases", map[string]any{"name": "Newsletter"}, &db))
	require.NoError(t, acme.Call(ctx, "POST", "/v1/databases/"+db.ID+"/profiles", map[string]any{"email": "ann@example.com"}, &profile))
	require.NoError(t, acme.Call(ctx, "POST", "/v1/messages", map[string]any{"profile_id": profile.ID}, &message))

	var keys struct{ Keys []signing.PublicKey }
	require.NoError(t, acme.Call(ctx, "GET", "/v1/signing-keys", nil, &keys))
	rc := newReceiverSite(t, keys.Keys[0].PublicKey)

	// A second webhook of Acme's, never verified, linked to a collection:
	// the lists show more than one webhook and more than one status.
	var customers, pending struct{ ID string }
	require.NoError(t, acme.Call(ctx, "POST", "/v1/databases/"+db.ID+"/collections", map[string]any{"name": "Customers"}, &customers))
	require.NoError(t, acme.Call(ctx, "POST", "/v1/webhooks", map[string]any{
		"url": rc.URL + "/shop/hooks.php", "events": []string{"bounce", "unsubscribe"},
		"database_id": db.ID, "collection_id": customers.ID,
	}, &pending))

	// Another account's webhook, which Acme's session must not reach.
	var theirs struct{ ID string }
	require.NoError(t, other.Call(ctx, "POST", "/v1/webhooks", map[string]any{
		"url": rc.URL + "/other-account/handler.php", "events": []string{"click"},
	}, &theirs))

	out := runScript(t, node, map[string]string{
		"HOOKFLOW_CONSOLE_URL":        dev.API + "/console",
		"HOOKFLOW_API_URL":            dev.API,
		"HOOKFLOW_API_KEY":            acme.Token,
		"HOOKFLOW_DATABASE_ID":        db.ID,
		"HOOKFLOW_PENDING_WEBHOOK_ID": pending.ID,
		"HOOKFLOW_OPEN_URL":           message.OpenURL,
		"HOOKFLOW_WEBUI_URL":          dev.UI,
		"HOOKFLOW_RECEIVER_URL":       rc.URL,
		"HOOKFLOW_RECEIVER_DIR":       rc.files,
		"HOOKFLOW_SECRET_FILE":        rc.secretFile,
		"HOOKFLOW_OTHER_WEBHOOK_ID":   theirs.ID,
		"HOOKFLOW_OTHER_WEBHOOK_URL":  rc.URL + "/other-account/handler.php",
		"HOOKFLOW_SCREENSHOTS":        screenshotDir(t),
	})
	t.Logf("console.mjs:\n%s", out)

	// What reached the receiver: the testing tool's click and the real
	// open, signed with the secret the console showed once (v1) and with
	// hookflow's key (v1a), like everything else it accepted; refused only
	// Check now's two forgeries (a wrong signature, an old timestamp).
	received := rc.log.String()
	require.Regexp(t, `(?m)^click webhook-id=\S+ verified=v1,v1a `, received, "the testing tool's request")
	require.Regexp(t, `(?m)^open webhook-id=dlv_\S+ verified=v1,v1a .*"ann@example.com"`, received, "the open's delivery")
	var rejected int
	for _, line := range strings.Split(strings.TrimSpace(received), "\n") {
		if strings.HasPrefix(line, "rejected ") {
			rejected++
			continue
		}
		require.Contains(t, line, " verified=v1,v1a ", "every request accepted was signed both ways")
	}
	require.Equal(t, 2, rejected, "Check now's forged requests, and nothing else, refused:\n%s", received)
}

// requireBrowser returns node's path once node, Chromium and the npm
// packages are there. Without them the test skips, unless
// HOOKFLOW_TEST_BROWSER is set (as .ci/run does): then it fails.
func requireBrowser(t *testing.T) string {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (Debian: apt-get install nodejs npm)")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, chromium+" (Debian: apt-get install chromium)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "playwright-core (cd browsertest && npm ci)")
	}
	if len(missing) == 0 {
		return node
	}
	msg := "the browser tests need " + strings.Join(missing, ", ")
	if os.Getenv("HOOKFLOW_TEST_BROWSER") != "" {
		t.Fatal(msg + "; HOOKFLOW_TEST_BROWSER is set, so they must run")
	}
	t.Skip(msg + "; .ci/run installs them")
	return ""
}

// newAccount creates an account and an API key of it with the operator
// token, and returns a client acting with that key.
func newAccount(t *testing.T, operator apiclient.Client, name string) apiclient.Client {
	t.Helper()
	var account struct{ ID string }
	require.NoError(t, operator.Call(t.Context(), "POST", "/v1/accounts", map[string]any{"name": name}, &account))
	var key struct{ Key string }
	require.NoError(t, operator.Call(t.Context(), "POST", "/v1/accounts/"+account.ID+"/keys", map[string]any{"name": "browser test"}, &key))
	require.NotEmpty(t, key.Key)
	return apiclient.Client{BaseURL: operator.BaseURL, Token: key.Key}
}

// receiverSite is a customer's web server on loopback ("hookflow dev"
// allows private callback URLs): the receiver package serves the
// verification files the browser downloaded into files and checks every
// webhook with the official Standard Webhooks library (v1, with the secret
// the browser read off the page into secretFile) and hookflow's public key
// (v1a). One line per request goes to log.
type receiverSite struct {
	*httptest.Server
	files, secretFile string
	publicKey         string
	log               hookflowtest.Output

	mu      sync.Mutex
	secret  string
	handler http.Handler
}

func newReceiverSite(t *testing.T, publicKey string) *receiverSite {
	dir := t.TempDir()
	rc := &receiverSite{
		files: filepath.Join(dir, "www"), secretFile: filepath.Join(dir, "secret"),
		publicKey: publicKey, log: hookflowtest.NewOutput(t, "receiver.log"),
	}
	require.NoError(t, os.Mkdir(rc.files, 0o755))
	rc.handler = rc.receiverFor("")
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.current().ServeHTTP(w, r)
	}))
	t.Cleanup(rc.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("receiver:\n%s", rc.log)
		}
	})
	return rc
}

// current is the receiver for the secret the browser wrote last.
func (rc *receiverSite) current() http.Handler {
	data, _ := os.ReadFile(rc.secretFile)
	secret := strings.TrimSpace(string(data))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if secret != rc.secret {
		rc.secret, rc.handler = secret, rc.receiverFor(secret)
	}
	return rc.handler
}

func (rc *receiverSite) receiverFor(secret string) http.Handler {
	return receiver.Handler(receiver.Options{Secret: secret, PublicKey: rc.publicKey, VerificationDir: rc.files, Out: rc.log.File()})
}

// screenshotDir is where the scenario saves the pages' screenshots:
// HOOKFLOW_SCREENSHOTS, relative to the repository's root; empty (none
// saved) when unset.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("HOOKFLOW_SCREENSHOTS")
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		root, err := filepath.Abs("..")
		require.NoError(t, err)
		dir = filepath.Join(root, dir)
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// runScript runs console.mjs with env added to the test's own (less any
// HOOKFLOW_ settings of the developer's) and fails the test, with the
// script's output, when it fails or outlasts scriptTimeout.
func runScript(t *testing.T, node string, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "console.mjs")
	cmd.Env = append(hookflowtest.CleanEnv(), "HOOKFLOW_CHROMIUM="+chromium)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 10 * time.Second
	began := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(began).Round(100 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatalf("console.mjs did not finish within %v:\n%s", scriptTimeout, out)
	}
	require.NoError(t, err, "console.mjs failed after %v:\n%s", took, out)
	t.Logf("console.mjs passed in %v", took)
	return string(out)
}
