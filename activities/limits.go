package activities

import "time"

// The fixed limits of delivery and verification. What a worker may tune is
// in Settings (settings.go).
const (
	// A receiver's Retry-After is honoured from minRetryAfter up to
	// Settings.MaxRetryDelay, so it can neither make us hammer it nor park
	// a delivery past the retry window.
	minRetryAfter = time.Second

	// firstOutageRetryDelay is the backoff ceiling after a step first
	// failed for want of a dependency; it doubles up to
	// Settings.MaxOutageRetryDelay.
	firstOutageRetryDelay = time.Second

	// reconcileBatch bounds how many unsettled events one reconciler pass
	// asks Temporal about.
	reconcileBatch = 100

	// pruneBatch is how many rows retention deletes in one transaction
	// (BenchmarkPrune: 10-50 ms of locks on busy MariaDB, with attempts);
	// pruneBatchPause lets other writers in between two batches, and
	// pruneBudget bounds one run of PruneExpired.
	pruneBatch      = 500
	pruneBatchPause = 50 * time.Millisecond
	pruneBudget     = time.Minute

	// maxConcurrentFirstAttempts bounds the first attempts of one event in
	// flight at once, so one slow receiver never delays the others.
	maxConcurrentFirstAttempts = 16

	// defaultMaxResponseBytes is read from a receiver when
	// Activities.MaxResponseBytes is 0; the rest is dropped.
	defaultMaxResponseBytes = 64 << 10
	// excerptBytes of a response are stored with each attempt.
	excerptBytes = 1 << 10
	// errorTextBytes fits DeliveryAttempt.Error's column.
	errorTextBytes = 1024

	// verificationBodyBytes caps a verification file; the real one is a
	// short token, so anything longer does not match.
	verificationBodyBytes = 4 << 10

	// recordTimeout bounds writing an attempt after the activity's own
	// context ended, so a request that was sent is still recorded.
	recordTimeout = 10 * time.Second
)

// Tests and checks of webhooks are answered to a caller who waits, so
// they are bounded more tightly than deliveries.
const (
	// maxTestRequestTimeout caps the worker's request timeout for a test
	// request, so a test answers well within the API's wait.
	maxTestRequestTimeout = 30 * time.Second
	// maxConcurrentChecks bounds the webhooks one check tests at once
	// (three requests each).
	maxConcurrentChecks = 16
	// MaxCheckedWebhooks bounds the webhooks one check tests, the first
	// in id order: its results travel in Temporal's payloads (2 MB at
	// most), and one result, with a URL and an error of its own, may
	// take 5 KB.
	MaxCheckedWebhooks = 200
	// staleTimestampAge is how old the timestamp of a check's stale request
	// is: twice the five minutes Standard Webhooks libraries tolerate.
	staleTimestampAge = 10 * time.Minute
)

// A recovery's work comes in pages: one run of RecoverDeliveries handles at
// most recoveryPageDeliveries deliveries and starts no new one after
// recoveryPageTime, so its workflow's history grows by one activity per page
// however slow the pace. It reads the deliveries recoveryBatch at a time
// and heartbeats every recoveryHeartbeat, whatever it is waiting for.
const (
	recoveryPageDeliveries = 1000
	recoveryPageTime       = 5 * time.Minute
	recoveryBatch          = 100
	recoveryHeartbeat      = time.Second
)
