package activities

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/models"
)

// ProbeEventType is the type of the signed test event a probe sends to a
// webhook hookflow disabled. No webhook subscribes to it; it is sent only
// as a probe.
const ProbeEventType models.EventType = "webhook.probe"

// ProbeSettings are the worker's settings the probe workflow needs.
type ProbeSettings struct {
	MinInterval, MaxInterval time.Duration
}

// ProbeSettingsOf is a local activity the probe workflow runs once per run:
// its recorded result keeps the replays deterministic.
func (a *Activities) ProbeSettingsOf(context.Context) (ProbeSettings, error) {
	s := a.settings()
	return ProbeSettings{MinInterval: s.ProbeMinInterval, MaxInterval: s.ProbeMaxInterval}, nil
}

// ProbeRequest asks ProbeWebhook to look at a webhook, and to probe it when
// Send is set.
type ProbeRequest struct {
	WebhookID string
	Send      bool `json:",omitempty"`
}

// ProbeOutcome is what one look at, or probe of, a webhook found.
type ProbeOutcome struct {
	// Stop: the webhook is gone, or no longer disabled by hookflow (its
	// owner enabled, paused or disabled it): the probe ends. Why says why.
	Stop bool   `json:",omitempty"`
	Why  string `json:",omitempty"`
	// Recovered: the probe was answered 2xx and the webhook is active
	// again; Held counts the deliveries it held, released now.
	Recovered bool      `json:",omitempty"`
	Held      int64     `json:",omitempty"`
	At        time.Time `json:",omitzero"`
	// Result is the probe's answer, e.g. "HTTP 503", when one was sent.
	Result string `json:",omitempty"`
}

// ProbeWebhook looks at a webhook hookflow disabled and, when asked,
// probes it: a signed webhook.probe test event, sent as a delivery would
// be. The probe's time and result are kept on the webhook. On a 2xx answer
// the webhook is active again (only if hookflow disabled it and it still
// is so) and its held deliveries are released in event order.
func (a *Activities) ProbeWebhook(ctx context.Context, req ProbeRequest) (out ProbeOutcome, err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	w, err := models.Get[models.Webhook](ctx, a.Store, req.WebhookID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return ProbeOutcome{Stop: true, Why: "the webhook was deleted"}, nil
	case err != nil:
		return out, err
	case !w.DisabledByHookflow():
		return ProbeOutcome{Stop: true, Why: "the webhook is " + string(w.Status) + " by its owner's hand"}, nil
	case !req.Send:
		return out, nil
	}
	at := time.Now()
	probeID := models.NewID(models.PrefixTest)
	ctx, cancel := context.WithTimeout(ctx, a.testRequestTimeout())
	defer cancel()
	prepared, err := a.probeRequest(ctx, w, probeID, at)
	if err != nil {
		return out, err
	}
	r := a.send(prepared)
	out.Result = r.summary()
	logger(ctx).Info("Webhook probed", "account_id", w.AccountID, "webhook_id", w.ID, "probe_id", probeID, "result", out.Result)
	if err := a.Store.RecordProbe(ctx, w.ID, at, out.Result); err != nil {
		return out, err
	}
	if classify(r) != models.DeliverySucceeded || r.AsksToDisable {
		return out, nil
	}
	return a.recover(ctx, w, out)
}

// probeRequest is a probe of w: a signed webhook.probe event saying why
// the webhook was disabled, sent with the delivery's client and headers.
func (a *Activities) probeRequest(ctx context.Context, w *models.Webhook, probeID string, at time.Time) (*http.Request, error) {
	reason := ""
	if w.DisabledReason != nil {
		reason = *w.DisabledReason
	}
	payload := models.Fields{
		"id":        probeID,
		"type":      string(ProbeEventType),
		"timestamp": at.UTC().Format(time.RFC3339),
		"time":      at.Unix(),
		"test":      true,
		"data":      models.Fields{"webhook_id": w.ID, "disabled_reason": reason},
	}
	m := message{MsgID: probeID, EventID: probeID, EventType: ProbeEventType, Payload: payload, Attempt: 1, At: at}
	req, _, err := a.webhookRequest(ctx, w, m, a.Signer.HeadersWith)
	return req, err
}

// recover makes a webhook whose probe succeeded active again and releases
// what it held.
func (a *Activities) recover(ctx context.Context, w *models.Webhook, out ProbeOutcome) (ProbeOutcome, error) {
	held, err := a.Store.CountHeldDeliveries(ctx, w.ID)
	if err != nil {
		return out, err
	}
	moved, err := a.Store.TransitionWebhook(ctx, w.ID, models.RecoverWebhook())
	if err != nil {
		return out, err
	}
	if !moved {
		return ProbeOutcome{Stop: true, Why: "the webhook changed during the probe", Result: out.Result}, nil
	}
	logger(ctx).Info("Webhook recovered: a probe succeeded; its held deliveries are released", "account_id", w.AccountID, "webhook_id", w.ID, "held", held)
	if err := a.releaseHeld(ctx, w.ID); err != nil {
		logger(ctx).Warn("Could not release the webhook's held deliveries; the reconciler will", "webhook_id", w.ID, "error", err)
	}
	out.Recovered, out.Held, out.At = true, held, models.Now()
	return out, nil
}

// AnnounceDisabled emits webhook.disabled for a webhook hookflow disabled,
// once per disable (its key is the time of the move): the probe workflow
// runs it when it starts, so the event is emitted however often the
// activity or the start is retried. A webhook no longer disabled by
// hookflow is not announced.
func (a *Activities) AnnounceDisabled(ctx context.Context, webhookID string) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	w, err := models.Get[models.Webhook](ctx, a.Store, webhookID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !w.DisabledByHookflow() || w.DisabledReason == nil {
		return nil
	}
	return a.emit(ctx, models.WebhookDisabledEvent(w, *w.DisabledReason, w.UpdatedAt))
}

// AnnounceRecovered emits webhook.recovered for a webhook whose probe
// succeeded at at, saying how many held deliveries it released.
func (a *Activities) AnnounceRecovered(ctx context.Context, webhookID string, released int64, at time.Time) (err error) {
	defer func() { err = a.retryLater(ctx, err) }()
	w, err := models.Get[models.Webhook](ctx, a.Store, webhookID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return a.emit(ctx, models.WebhookRecoveredEvent(w, int(released), at))
}
