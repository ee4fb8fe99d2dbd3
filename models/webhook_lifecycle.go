package models

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// A webhook's life cycle, in one place. A webhook starts unverified; a
// passed ownership check of its URL activates it, or the verification
// window ends and it is verification_failed (a later pass still activates
// it). Its owner may pause, resume, disable and re-enable a verified
// webhook; hookflow disables an active one whose receiver asks for it (410
// Gone) or has failed for too long, and recovers it once a probe succeeds.
// A new URL makes it unverified again, whatever its status.
//
//	verify               unverified, verification_failed -> active    (only for the URL proven)
//	expire verification  unverified                      -> verification_failed
//	pause                active, disabled                -> paused
//	resume               paused                          -> active
//	disable              active, paused                  -> disabled  (who and why are kept)
//	disable by hookflow  active                          -> disabled  (by hookflow, why is kept)
//	re-enable            disabled                        -> active
//	recover              disabled by hookflow            -> active
//	change URL           any                             -> unverified
//
// active_since is when the webhook was first activated for its current
// URL: verify sets it, a new URL clears it, and nothing else moves it. A
// paused or disabled webhook still matches the events since then; their
// deliveries are held until it is active again. Every move to active
// clears failing_since: the webhook's failures start afresh.
//
// Each is a WebhookTransition: a guarded UPDATE that moves the webhook only
// from the statuses it allows, so a move decided on a status read earlier
// never starts from another one, however requests and workflows interleave.
// Nothing else writes a webhook's status.

// WebhookTransition is one named move in a webhook's life cycle.
type WebhookTransition struct {
	Name string
	From []WebhookStatus
	To   WebhookStatus
	// also are the other columns the move writes, and its extra guards.
	also Change
}

// Allows reports whether the transition may start from status.
func (t WebhookTransition) Allows(status WebhookStatus) bool { return slices.Contains(t.From, status) }

// change is the guarded UPDATE that makes the move.
func (t WebhookTransition) change() Change {
	return t.also.Set("status", t.To).Where("status IN ?", t.From)
}

// WebhookActor says who disabled a webhook.
type WebhookActor string

const (
	// ActorOwner is the webhook's owner, through the API.
	ActorOwner WebhookActor = "owner"
	// ActorHookflow is hookflow itself, acting on what a receiver answered.
	ActorHookflow WebhookActor = "hookflow"
)

// ReasonDisabledByOwner is the reason kept when the owner disables a webhook.
const ReasonDisabledByOwner = "disabled by its owner"

var allWebhookStatuses = []WebhookStatus{WebhookUnverified, WebhookActive, WebhookPaused, WebhookDisabled, WebhookVerificationFailed}

// activeAgain starts a webhook's failures afresh on every move to active:
// a failure from before a pause or disable must not count against it.
func activeAgain() Change { return Change{}.Set("failing_since", nil) }

// notDisabled clears what a disable kept, for every move out of disabled.
func notDisabled() Change {
	return Change{}.Set("disabled_by", nil).Set("disabled_reason", nil)
}

// VerifyWebhook activates a webhook whose ownership of url was proven at
// at; it moves only while url is still the webhook's URL, so a proof of an
// earlier URL never activates a new one.
func VerifyWebhook(url string, at time.Time) WebhookTransition {
	return WebhookTransition{
		Name: "verify", From: []WebhookStatus{WebhookUnverified, WebhookVerificationFailed}, To: WebhookActive,
		also: activeAgain().Set("verified_at", at).Set("active_since", at).Where("url = ?", url),
	}
}

// ExpireWebhookVerification ends the verification window of a webhook
// still unverified.
func ExpireWebhookVerification() WebhookTransition {
	return WebhookTransition{Name: "expire verification", From: []WebhookStatus{WebhookUnverified}, To: WebhookVerificationFailed}
}

// PauseWebhook holds a verified webhook's deliveries until it is resumed.
func PauseWebhook() WebhookTransition {
	return WebhookTransition{
		Name: "pause", From: []WebhookStatus{WebhookActive, WebhookDisabled}, To: WebhookPaused,
		also: notDisabled(),
	}
}

// ResumeWebhook activates a paused webhook again; what it held is released.
func ResumeWebhook() WebhookTransition {
	return WebhookTransition{Name: "resume", From: []WebhookStatus{WebhookPaused}, To: WebhookActive, also: activeAgain()}
}

// DisableWebhook switches a verified webhook off, keeping who did it and
// why. A webhook disabled already keeps the first actor and reason.
func DisableWebhook(by WebhookActor, reason string) WebhookTransition {
	return WebhookTransition{
		Name: "disable", From: []WebhookStatus{WebhookActive, WebhookPaused}, To: WebhookDisabled,
		also: Change{}.Set("disabled_by", by).Set("disabled_reason", FitText(reason, 1024)),
	}
}

// DisableWebhookByHookflow switches off an active webhook whose receiver
// asked for it or kept failing; a paused one is its owner's to decide on.
func DisableWebhookByHookflow(reason string) WebhookTransition {
	t := DisableWebhook(ActorHookflow, reason)
	t.Name, t.From = "disable by hookflow", []WebhookStatus{WebhookActive}
	return t
}

// EnableWebhook re-enables a disabled webhook; what it held is released.
func EnableWebhook() WebhookTransition {
	return WebhookTransition{Name: "re-enable", From: []WebhookStatus{WebhookDisabled}, To: WebhookActive, also: notDisabled().With(activeAgain())}
}

// RecoverWebhook re-activates a webhook hookflow disabled, once a probe of
// its receiver succeeded. It never moves one its owner disabled (or
// re-enabled, or paused meanwhile).
func RecoverWebhook() WebhookTransition {
	return WebhookTransition{
		Name: "recover", From: []WebhookStatus{WebhookDisabled}, To: WebhookActive,
		also: notDisabled().With(activeAgain()).Where("disabled_by = ?", ActorHookflow),
	}
}

// ChangeWebhookURL points a webhook at a new URL, which must be proven
// before it receives anything.
func ChangeWebhookURL(url string) WebhookTransition {
	return WebhookTransition{
		Name: "change URL", From: allWebhookStatuses, To: WebhookUnverified,
		also: notDisabled().Set("url", url).Set("verified_at", nil).Set("active_since", nil),
	}
}

// OwnerStatusChange is the transition that takes a webhook from current to
// the status its owner asks for: nil when it is there already, an error
// saying why when the owner cannot move it there.
func OwnerStatusChange(current, wanted WebhookStatus) (*WebhookTransition, error) {
	if wanted == current {
		return nil, nil
	}
	if current == WebhookUnverified || current == WebhookVerificationFailed {
		return nil, fmt.Errorf("the webhook's URL is not verified yet; verify it first")
	}
	var t WebhookTransition
	switch {
	case wanted == WebhookPaused:
		t = PauseWebhook()
	case wanted == WebhookDisabled:
		t = DisableWebhook(ActorOwner, ReasonDisabledByOwner)
	case wanted == WebhookActive && current == WebhookPaused:
		t = ResumeWebhook()
	case wanted == WebhookActive && current == WebhookDisabled:
		t = EnableWebhook()
	default:
		return nil, fmt.Errorf("a webhook's owner sets it active, paused or disabled, not %s", wanted)
	}
	if !t.Allows(current) {
		return nil, fmt.Errorf("a %s webhook cannot %s", current, t.Name)
	}
	return &t, nil
}

// TransitionWebhook moves the webhook with the given id by t, if its
// status (and t's other guards) allow; it reports whether it moved. A
// webhook that is gone does not move. For hookflow's own moves; the
// owner's go through the API with their other changes, in one UPDATE.
func (s *Store) TransitionWebhook(ctx context.Context, id string, t WebhookTransition) (bool, error) {
	n, err := t.change().apply(ctx, s.db, &Webhook{}, id, Precondition{})
	return n > 0, err
}
