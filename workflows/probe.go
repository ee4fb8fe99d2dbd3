package workflows

import (
	"math/rand/v2"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// SignalProbeLook tells a webhook's probe that its owner changed the
// webhook (enabled, paused, disabled or deleted it): it looks at once
// whether it is still its business, without waiting for the next probe.
const SignalProbeLook = "look"

// ProbeInput starts (or continues) the probe of a webhook hookflow disabled.
type ProbeInput struct {
	WebhookID string
	// Probes counts the probes sent by earlier runs: the interval grows on
	// from there.
	Probes int `json:",omitempty"`
}

// ProbeResult says how a probe ended.
type ProbeResult struct {
	Probes int
	// Recovered: a probe succeeded and the webhook is active again; Held
	// counts the deliveries it had held, released then.
	Recovered bool  `json:",omitempty"`
	Held      int64 `json:",omitempty"`
	// Stopped says why it ended otherwise: the webhook was deleted, or its
	// owner enabled, paused or disabled it.
	Stopped string `json:",omitempty"`
}

const (
	// probesPerRun is how many probes one run sends before it continues
	// as new: at the 6 h cap that is about a week.
	probesPerRun = 25
	// probeTimeout bounds one probe: the request, at most 30 s, and the
	// reads and writes around it.
	probeTimeout = time.Minute
	// probeJitter is the most a wait is shortened by, as a fraction, so
	// that webhooks disabled together are not probed together.
	probeJitter = 0.2
)

// Probe brings back a webhook hookflow disabled: it waits, sends a signed
// webhook.probe event, and waits longer each time (ProbeMinInterval,
// doubling up to ProbeMaxInterval, each wait shortened by up to 20% at
// random), until the receiver answers 2xx. Then the webhook is active
// again and its held deliveries drain in event order (see
// activities.ProbeWebhook), and webhook.recovered says how many it had
// held; webhook.disabled was said when the probe started. It ends as soon as the webhook is deleted or
// its owner takes it in hand (enables, pauses or disables it); the owner's
// moves signal it (SignalProbeLook) so it looks at once. An outage delays
// a probe, never ends it.
func Probe(ctx workflow.Context, in ProbeInput) (ProbeResult, error) {
	var a *activities.Activities
	var settings activities.ProbeSettings
	if err := runLocalThenDurably(ctx, time.Minute, a.ProbeSettingsOf, &settings); err != nil {
		return ProbeResult{}, err
	}
	if in.Probes == 0 {
		// The run that starts the probe tells the account's other webhooks.
		if err := runLocalThenDurably(ctx, time.Minute, a.AnnounceDisabled, nil, in.WebhookID); err != nil {
			return ProbeResult{}, err
		}
	}
	looks := workflow.GetSignalChannel(ctx, SignalProbeLook)
	result := ProbeResult{Probes: in.Probes}
	for range probesPerRun {
		wait := probeInterval(settings, result.Probes, jitterOf(ctx))
		due, err := waitOrLook(ctx, wait, looks)
		if err != nil {
			return result, err
		}
		var out activities.ProbeOutcome
		if err := runLocalThenDurably(ctx, probeTimeout, a.ProbeWebhook, &out, activities.ProbeRequest{WebhookID: in.WebhookID, Send: due}); err != nil {
			return result, err
		}
		if due {
			result.Probes++
		}
		switch {
		case out.Stop:
			result.Stopped = out.Why
			return result, nil
		case out.Recovered:
			result.Recovered, result.Held = true, out.Held
			return result, runLocalThenDurably(ctx, time.Minute, a.AnnounceRecovered, nil, in.WebhookID, out.Held, out.At)
		}
	}
	return result, workflow.NewContinueAsNewError(ctx, Probe, ProbeInput{WebhookID: in.WebhookID, Probes: result.Probes})
}

// probeInterval is the wait before probe number n+1: min doubled n times,
// at most max, shortened by jitter (a fraction in [0, 1)) times probeJitter.
func probeInterval(s activities.ProbeSettings, n int, jitter float64) time.Duration {
	wait := s.MinInterval
	for i := 0; i < n && wait < s.MaxInterval; i++ {
		wait *= 2
	}
	wait = min(wait, s.MaxInterval)
	return wait - time.Duration(float64(wait)*probeJitter*jitter)
}

// jitterOf draws a fraction in [0, 1) once and records it, so replays wait
// exactly as the run did.
func jitterOf(ctx workflow.Context) float64 {
	var jitter float64
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return rand.Float64() }).Get(&jitter)
	return jitter
}

// waitOrLook waits for wait, or until a look is asked for; due is true when
// the wait ran out (a probe is due), false when asked to look.
func waitOrLook(ctx workflow.Context, wait time.Duration, looks workflow.ReceiveChannel) (due bool, err error) {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimer(timerCtx, wait)
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(timer, func(f workflow.Future) { err = f.Get(ctx, nil); due = true })
	sel.AddReceive(looks, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.Select(ctx)
	return due, err
}
