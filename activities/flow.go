package activities

import (
	"context"
	crand "crypto/rand"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Flow control (models.WebhookFlow): every attempt passes admit before its
// request, whatever made it (a first attempt, a retry, a resend, a drain,
// a recovery), so a webhook's max_rps, max_in_flight and Retry-After hold
// across all workers together.
const (
	// inFlightLeaseMargin is added to the request timeout for an in-flight
	// slot's lease: a worker that dies mid-request frees its slot then.
	inFlightLeaseMargin = 5 * time.Second
	// A delivery that found no free in-flight slot tries again after a
	// wait that grows with how long it has been waiting, jittered so
	// waiting deliveries do not come back together.
	minInFlightWait = 100 * time.Millisecond
	maxInFlightWait = 5 * time.Second
	// releaseTimeout bounds giving an in-flight slot back after the
	// activity's own context ended.
	releaseTimeout = 5 * time.Second
	// minLateSlotTolerance is how late a rate slot may still be used at
	// high rates, whose interval is shorter than a timer's usual delay:
	// without it every slot would be late and be replaced, forever.
	minLateSlotTolerance = 100 * time.Millisecond
)

// Why an attempt was throttled, for logs and metrics.
const (
	throttledRate     = "rate"
	throttledInFlight = "in_flight"
)

// admission is the flow control's answer to one attempt: a go-ahead with
// the in-flight slot to give back once the request is done (recorded with
// the attempt, or by release), or the time the delivery waits until (with
// the rate slot it keeps meanwhile).
type admission struct {
	webhookID string
	// holder holds the in-flight slot of an admitted attempt.
	holder string
	// Otherwise it is throttled: its next try is at next, with slot.
	slot   *time.Time
	next   time.Time
	reason string
}

func (adm admission) admitted() bool { return adm.holder != "" }

// release gives the in-flight slot back on its own, for an attempt whose
// record did not give it back. A slot not given back frees itself when its
// lease expires.
func (a *Activities) release(ctx context.Context, adm admission, d *models.Delivery) {
	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := a.Store.ReleaseFlowSlot(releaseCtx, adm.webhookID, adm.holder); err != nil {
		logger(ctx).Warn("In-flight slot not released", deliveryAttrs(d, "error", err)...)
	}
}

// admit reserves a rate slot for d's next request to w (or uses the one d
// reserved while throttled, unless a Retry-After came since), and takes an
// in-flight slot once the rate slot has come. f is w's flow state when it
// was read with w's (nil: read it now).
func (a *Activities) admit(ctx context.Context, d *models.Delivery, w *models.Webhook, f *models.WebhookFlow) (admission, error) {
	now := models.Now()
	if f == nil {
		var err error
		if f, err = a.Store.WebhookFlowOf(ctx, w.ID); err != nil {
			return admission{}, err
		}
	}
	slot := d.ReservedSlotAt
	if blocked := f.BlockedUntil(); slot == nil || (blocked.After(now) && slot.Before(blocked)) || lateForRate(f, w, *slot, now) {
		reserved, err := a.Store.ReserveFlowSlot(ctx, w, f, now)
		if err != nil {
			return admission{}, err
		}
		slot = &reserved
	}
	if slot.After(now) {
		return admission{slot: slot, next: *slot, reason: throttledRate}, nil
	}
	holder := d.ID + "." + crand.Text()[:12]
	got, err := a.Store.AcquireFlowSlot(ctx, w.ID, w.InFlightLimit(), holder, now, a.settings().RequestTimeout+inFlightLeaseMargin)
	if err != nil {
		return admission{}, err
	}
	if !got {
		return admission{slot: slot, next: now.Add(inFlightWait(now.Sub(*slot))), reason: throttledInFlight}, nil
	}
	return admission{webhookID: w.ID, holder: holder}, nil
}

// lateForRate reports whether a reserved rate slot has passed by more than
// one interval of the webhook's rate (at least minLateSlotTolerance): its timer fired late (busy workers),
// or it waited for an in-flight slot. Sent now, it would bunch up with the
// requests on the slots after it, so it reserves a new slot instead; the
// old one is lost, which slows the webhook, never speeds it up.
func lateForRate(f *models.WebhookFlow, w *models.Webhook, slot, now time.Time) bool {
	rps, limited := f.Rate(w.MaxRPS, now)
	return limited && now.Sub(slot) > max(time.Duration(float64(time.Second)/rps), minLateSlotTolerance)
}

// inFlightWait is how long a delivery that has waited for an in-flight
// slot for waited waits before trying again: half as long again, within
// [minInFlightWait, maxInFlightWait], ±50%.
func inFlightWait(waited time.Duration) time.Duration {
	wait := min(max(waited/2, minInFlightWait), maxInFlightWait)
	return time.Duration(float64(wait) * (0.5 + rand.Float64()))
}

// admitted waits for admission, when rules say the attempt waits inline
// (a recovery, paced by its own activity), or else throttles d: it stays
// pending, without an attempt, until the admission's next try, keeping
// its rate slot in its row. It returns the admission to proceed with, or
// the throttled outcome.
func (a *Activities) admitted(ctx context.Context, d *models.Delivery, w *models.Webhook, rules attemptRules) (admission, *attemptOutcome, error) {
	flow := rules.flow
	for {
		adm, err := a.admit(ctx, d, w, flow)
		if err != nil || adm.admitted() {
			return adm, nil, err
		}
		flow = nil // read again when the wait is over
		a.Metrics.throttled(adm.reason)
		if !rules.last {
			if err := a.Store.ThrottleDelivery(ctx, d, adm.slot, adm.next); err != nil {
				return admission{}, nil, err
			}
			logger(ctx).Debug("Delivery throttled", deliveryAttrs(d, "reason", adm.reason, "next_attempt_at", adm.next)...)
			return adm, &attemptOutcome{Status: models.DeliveryPending, RetryAfter: max(time.Until(adm.next), 0), NextAttemptAt: &adm.next,
				Reason: "throttled (" + adm.reason + ") until " + adm.next.Format(time.RFC3339Nano)}, nil
		}
		d.ReservedSlotAt = adm.slot
		select {
		case <-time.After(time.Until(adm.next)):
		case <-ctx.Done():
			return admission{}, nil, ctx.Err()
		}
	}
}

// slowDown is what a 429 or 503 with a Retry-After does to the webhook
// (models.Store.SlowWebhookFlow). A failure to record it is logged: the
// attempt is recorded regardless.
func (a *Activities) slowDown(ctx context.Context, d *models.Delivery, w *models.Webhook, r response, sentAt, at time.Time) {
	if r.StatusCode != http.StatusTooManyRequests && r.StatusCode != http.StatusServiceUnavailable {
		return
	}
	s := a.settings()
	retryAfter, ok := parseRetryAfter(r.RetryAfter, at, s.MaxRetryDelay)
	if !ok {
		return
	}
	retryAfter = min(max(retryAfter, minRetryAfter), s.MaxRetryDelay)
	f, err := a.Store.SlowWebhookFlow(ctx, w, retryAfter, sentAt, at)
	if err != nil {
		logger(ctx).Error("Webhook not slowed down after a Retry-After", deliveryAttrs(d, "error", err)...)
		return
	}
	a.Metrics.slowedDown()
	rps, _ := f.Rate(w.MaxRPS, at)
	logger(ctx).Info("Webhook slowed down: it asked to retry later", deliveryAttrs(d, "status", r.StatusCode, "retry_after", retryAfter, "rate", rps)...)
}
