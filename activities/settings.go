package activities

import (
	"context"
	"time"
)

// Settings shape every delivery and verification. They belong to the
// worker, in this one place: the workflows read them from recorded activity
// results (never from their input, which the API process writes), so
// changing a worker's setting is all it takes, and replays stay
// deterministic.
type Settings struct {
	// RequestTimeout bounds one HTTP request to a receiver.
	RequestTimeout time.Duration
	// RetryWindow is how long failing deliveries are retried.
	RetryWindow time.Duration
	// VerificationWindow is how long an unverified webhook is re-checked.
	VerificationWindow time.Duration
	// FirstRetryDelay is the backoff after a delivery's first failed
	// attempt; it doubles per attempt up to MaxRetryDelay, which also caps
	// a receiver's Retry-After.
	FirstRetryDelay time.Duration
	MaxRetryDelay   time.Duration
	// MaxOutageRetryDelay caps the wait before a step that failed because
	// the database (or another dependency) was down is tried again; at most
	// OutageRetryDelayLimit.
	MaxOutageRetryDelay time.Duration
	// ReconcileAfter is how long after its dispatch an event that is not
	// settled is looked at by the reconciler, and how long before it is
	// looked at again.
	ReconcileAfter time.Duration
	// Retention is how long events, deliveries and attempts are kept once
	// delivered (what still waits to be delivered is kept longer).
	Retention time.Duration
	// DisableAfter is how long a webhook may fail, with no successful
	// delivery, before hookflow disables it.
	DisableAfter time.Duration
	// ProbeMinInterval is the wait before the first probe of a webhook
	// hookflow disabled; it doubles per probe, jittered, up to
	// ProbeMaxInterval.
	ProbeMinInterval time.Duration
	ProbeMaxInterval time.Duration
}

// Defaults of the settings, used for any that is zero.
const (
	DefaultRequestTimeout      = 15 * time.Second
	DefaultRetryWindow         = 72 * time.Hour
	DefaultVerificationWindow  = 7 * 24 * time.Hour
	DefaultFirstRetryDelay     = 5 * time.Second
	DefaultMaxRetryDelay       = 6 * time.Hour
	DefaultMaxOutageRetryDelay = time.Minute
	DefaultReconcileAfter      = 5 * time.Minute
	DefaultRetention           = 30 * 24 * time.Hour
	DefaultDisableAfter        = 5 * 24 * time.Hour
	DefaultProbeMinInterval    = time.Minute
	DefaultProbeMaxInterval    = 6 * time.Hour
)

// OutageRetryDelayLimit is the longest wait before retrying a step that
// failed for want of a dependency, whatever the settings say: the
// workflows' retry policies use it as their ceiling, so an outage never
// delays a delivery by more than this after it ends.
const OutageRetryDelayLimit = time.Minute

// settings returns the worker's settings with defaults for the unset ones.
func (a *Activities) settings() Settings {
	s := a.Settings
	orDefault := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	orDefault(&s.RequestTimeout, DefaultRequestTimeout)
	orDefault(&s.RetryWindow, DefaultRetryWindow)
	orDefault(&s.VerificationWindow, DefaultVerificationWindow)
	orDefault(&s.FirstRetryDelay, DefaultFirstRetryDelay)
	orDefault(&s.MaxRetryDelay, DefaultMaxRetryDelay)
	orDefault(&s.MaxOutageRetryDelay, DefaultMaxOutageRetryDelay)
	orDefault(&s.ReconcileAfter, DefaultReconcileAfter)
	orDefault(&s.Retention, DefaultRetention)
	orDefault(&s.DisableAfter, DefaultDisableAfter)
	orDefault(&s.ProbeMinInterval, DefaultProbeMinInterval)
	orDefault(&s.ProbeMaxInterval, DefaultProbeMaxInterval)
	s.ProbeMaxInterval = max(s.ProbeMaxInterval, s.ProbeMinInterval)
	s.MaxOutageRetryDelay = min(s.MaxOutageRetryDelay, OutageRetryDelayLimit)
	s.MaxRetryDelay = max(s.MaxRetryDelay, s.FirstRetryDelay)
	return s
}

// VerificationWindow is a local activity the verification workflow runs
// once at its start: its recorded result is the worker's window.
func (a *Activities) VerificationWindow(context.Context) (time.Duration, error) {
	return a.settings().VerificationWindow, nil
}

// retrySettings are the settings a delivery workflow retries by.
func (s Settings) retrySettings() RetrySettings {
	return RetrySettings{
		RetryWindow:     s.RetryWindow,
		RequestTimeout:  s.RequestTimeout,
		FirstRetryDelay: s.FirstRetryDelay,
		MaxRetryDelay:   s.MaxRetryDelay,
	}
}

// DeliveryRetrySettings is a local activity a delivery workflow runs
// before it resends a delivery: its recorded result is the worker's retry
// settings for the resend.
func (a *Activities) DeliveryRetrySettings(context.Context) (RetrySettings, error) {
	return a.settings().retrySettings(), nil
}
