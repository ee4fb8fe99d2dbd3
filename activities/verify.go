package activities

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
)

// CheckVerification makes one ownership check of a webhook: it fetches the
// verification file from the callback URL's directory and from the web
// root, and passes when either holds the expected content. On a pass the
// webhook is activated, but only if its URL is still the one checked and it
// is still awaiting verification. A deleted webhook is a non-retryable
// error of type WebhookNotFound.
func (a *Activities) CheckVerification(ctx context.Context, webhookID string) (res VerificationResult, err error) {
	w, err := a.webhookToVerify(ctx, webhookID)
	if err != nil {
		return VerificationResult{}, err
	}
	defer func() {
		if err == nil {
			a.Metrics.checked(res.Passed)
		}
	}()
	locations, err := VerificationURLs(w.URL, w.VerificationFile)
	if err != nil {
		res.Checks = []string{"cannot place the verification file next to " + w.URL + ": " + err.Error()}
		return res, nil
	}
	for _, loc := range locations {
		passed, check := a.checkVerificationFile(ctx, loc, w.VerificationContent)
		res.Passed = res.Passed || passed
		res.Checks = append(res.Checks, check)
	}
	if !res.Passed {
		return res, nil
	}
	activated, err := a.Store.TransitionWebhook(ctx, w.ID, models.VerifyWebhook(w.URL, models.Now()))
	if err != nil {
		return res, err
	}
	if activated {
		// Every move to active releases; a failure is the reconciler's to mend.
		if err := a.releaseHeld(ctx, w.ID); err != nil {
			logger(ctx).Warn("Could not release the webhook's held deliveries; the reconciler will", "webhook_id", w.ID, "error", err)
		}
		return res, nil
	}
	// Nothing was activated: the URL changed while we checked, or the
	// webhook is verified already (an earlier run of this activity) or its
	// owner set its status meanwhile.
	current, err := a.webhookToVerify(ctx, webhookID)
	if err != nil {
		return VerificationResult{}, err
	}
	if current.URL != w.URL {
		res.Passed = false
		res.Checks = append(res.Checks, "the webhook's URL changed to "+current.URL+" during the check; it was not activated")
	}
	return res, nil
}

// ExpireVerification ends the verification window: a webhook still
// unverified becomes verification_failed. Any other status, or a deleted
// webhook, is left alone.
func (a *Activities) ExpireVerification(ctx context.Context, webhookID string) error {
	_, err := a.Store.TransitionWebhook(ctx, webhookID, models.ExpireWebhookVerification())
	return err
}

func (a *Activities) webhookToVerify(ctx context.Context, id string) (*models.Webhook, error) {
	w, err := models.Get[models.Webhook](ctx, a.Store, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError("webhook "+id+" not found", ErrorTypeWebhookNotFound, err)
	}
	return w, err
}

// VerificationURLs are where the owner may put the verification file: the
// callback script's directory (https://host/dir/script.php ->
// https://host/dir/<file>) and the web root, once if they are the same.
func VerificationURLs(callback, file string) ([]string, error) {
	u, err := url.Parse(callback)
	if err != nil {
		return nil, err
	}
	dir := u.Path[:strings.LastIndex(u.Path, "/")+1]
	if dir == "" {
		dir = "/"
	}
	inDir := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: dir + file}).String()
	atRoot := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + file}).String()
	if inDir == atRoot {
		return []string{atRoot}, nil
	}
	return []string{inDir, atRoot}, nil
}

// checkVerificationFile fetches one location and says whether it holds
// want (surrounding whitespace ignored), with a line that explains the
// result, like "GET https://host/hookflow-….txt: 404".
func (a *Activities) checkVerificationFile(ctx context.Context, location, want string) (bool, string) {
	check := "GET " + location + ": "
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return false, check + describeError(err)
	}
	req.Header.Set("User-Agent", a.UserAgent)
	resp, err := a.HTTP.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return false, check + describeError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return false, check + strconv.Itoa(resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, verificationBodyBytes+1))
	if err != nil {
		return false, check + describeError(err)
	}
	if len(body) > verificationBodyBytes {
		return false, check + "the file is larger than " + strconv.Itoa(verificationBodyBytes) + " bytes"
	}
	want = strings.TrimSpace(want)
	if want == "" || strings.TrimSpace(string(body)) != want {
		return false, check + "content does not match"
	}
	return true, check + "ok"
}
