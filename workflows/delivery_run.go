package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// SignalResend asks an event's delivery workflow to deliver one of its
// deliveries again, now: a ResendRequest. Whoever sends it has reopened
// the delivery first (models.Store.ReopenDelivery) and sends it with
// start, so that an event whose run has ended gets a run that only
// resends (DeliveryInput.Resend). A delivery the run is retrying already
// is not started twice.
const SignalResend = "resend"

// QueryDeliverySchedule asks an event's delivery workflow where one of its
// deliveries stands: a *models.DeliverySchedule, or nil when the run is
// not retrying it (or, in a run from before retriesInWorkflow, does not
// know when its next attempt is due). Queries add nothing to the history.
const QueryDeliverySchedule = "delivery-schedule"

// ResendRequest names a delivery to deliver again.
type ResendRequest struct {
	DeliveryID string
	WebhookID  string
	// PriorAttempts were made before the resend: its attempts are numbered
	// after them, and its backoff starts over.
	PriorAttempts int `json:",omitempty"`
	// NotBefore, when set, is when the first attempt of the resend is due
	// (a released held delivery whose attempt failed, or that flow control
	// gave a later slot); zero is now.
	NotBefore time.Time `json:",omitzero"`
}

// resendSettingsTimeout bounds reading the worker's retry settings.
const resendSettingsTimeout = time.Minute

// retrySeries is a delivery's attempts since its first attempt failed, or
// since it was resent, as far as the workflow has them.
type retrySeries struct {
	// next is when the next attempt is due (the one under way while it
	// runs); zero while unknown.
	next time.Time
	// failed counts the attempts of this series that failed, prior those
	// of the delivery before it.
	failed, prior int
	deadline      time.Time
	settings      activities.RetrySettings
}

// deliveryRun is what one run of a delivery workflow keeps: the retry
// series under way, for the query, and the resends it took.
type deliveryRun struct {
	series               map[string]*retrySeries
	active               int // series under way, or about to start
	resent, resentFailed int
	resends              workflow.ReceiveChannel
}

// startDeliveryRun sets the run up to answer QueryDeliverySchedule and to
// take resends; none of it adds to the history until a resend comes.
func startDeliveryRun(ctx workflow.Context) (*deliveryRun, error) {
	r := &deliveryRun{series: map[string]*retrySeries{}, resends: workflow.GetSignalChannel(ctx, SignalResend)}
	if err := workflow.SetQueryHandler(ctx, QueryDeliverySchedule, r.schedule); err != nil {
		return nil, err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var req ResendRequest
			r.resends.Receive(ctx, &req)
			r.resend(ctx, req)
		}
	})
	return r, nil
}

// schedule answers QueryDeliverySchedule.
func (r *deliveryRun) schedule(deliveryID string) (*models.DeliverySchedule, error) {
	s := r.series[deliveryID]
	if s == nil || s.next.IsZero() {
		return nil, nil
	}
	return &models.DeliverySchedule{
		NextAttemptAt:     s.next,
		AttemptsLeft:      s.settings.AttemptsLeft(s.failed, s.next, s.deadline),
		RetryWindowEndsAt: s.deadline,
	}, nil
}

// start runs series in a coroutine of its own and reports how it ended.
func (r *deliveryRun) start(ctx workflow.Context, deliveryID string, s *retrySeries, done func(models.DeliveryStatus)) {
	r.series[deliveryID] = s
	r.active++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.active-- }()
		done(r.retry(ctx, deliveryID, s))
	})
}

// newRetrySeries is the series of a delivery whose first attempt failed.
func newRetrySeries(ctx workflow.Context, p activities.PendingDelivery, deadline time.Time, settings activities.RetrySettings) *retrySeries {
	next := workflow.Now(ctx).Add(p.RetryAfter)
	if p.NextAttemptAt != nil {
		next = *p.NextAttemptAt
	}
	return &retrySeries{next: next, failed: p.Attempts, deadline: deadline, settings: settings}
}

// retry makes a delivery's attempts, each when the one before said (the
// backoff or the receiver's Retry-After, as recorded in the delivery's
// row), until one settles it or the next would come after the deadline,
// and then records its failure. A delivery whose webhook was paused or
// disabled meanwhile is held: the series ends without failing it, and the
// webhook's drain takes it on once it is active again. An outage delays an
// attempt, never skips it. It reports where the delivery ended: succeeded,
// failed or held.
func (r *deliveryRun) retry(ctx workflow.Context, deliveryID string, s *retrySeries) models.DeliveryStatus {
	defer delete(r.series, deliveryID)
	var a *activities.Activities
	reason := activities.ReasonRetryWindowRanOut
	for s.next.Before(s.deadline) {
		if wait := s.next.Sub(workflow.Now(ctx)); wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return models.DeliveryFailed // cancelled
			}
		}
		var res activities.AttemptResult
		err := runLocalThenDurably(ctx, s.settings.RequestTimeout+attemptMargin, a.AttemptDelivery, &res,
			activities.AttemptRequest{DeliveryID: deliveryID, PriorAttempts: s.prior})
		if temporal.IsCanceledError(err) {
			return models.DeliveryFailed
		}
		if err != nil {
			reason = "cannot be attempted: " + err.Error() // a stored value that cannot be read
			break
		}
		switch res.Status {
		case models.DeliverySucceeded, models.DeliveryHeld:
			return res.Status
		case models.DeliveryFailed:
			return res.Status // the activity recorded why
		}
		s.failed = res.Attempts - s.prior
		s.next = workflow.Now(ctx).Add(crashRetryDelay)
		if res.NextAttemptAt != nil {
			s.next = *res.NextAttemptAt
		}
	}
	// Recorded whatever it takes: an outage delays it, never skips it.
	_ = runLocalThenDurably(ctx, failDeliveryTimeout, a.FailDelivery, nil, deliveryID, reason)
	return models.DeliveryFailed
}

// resend delivers a delivery again, now or at the request's NotBefore,
// with a retry window of its own from the worker's settings, unless the
// run is retrying it already.
func (r *deliveryRun) resend(ctx workflow.Context, req ResendRequest) {
	if _, busy := r.series[req.DeliveryID]; busy {
		workflow.GetLogger(ctx).Info("Resend of a delivery under way ignored", "delivery_id", req.DeliveryID)
		return
	}
	r.resent++
	r.series[req.DeliveryID] = &retrySeries{} // taken while the settings are read
	r.active++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { r.active-- }()
		var a *activities.Activities
		var settings activities.RetrySettings
		if err := runLocalThenDurably(ctx, resendSettingsTimeout, a.DeliveryRetrySettings, &settings); err != nil {
			delete(r.series, req.DeliveryID)
			return // cancelled
		}
		now := workflow.Now(ctx)
		s := &retrySeries{next: latest(now, req.NotBefore), prior: req.PriorAttempts, deadline: now.Add(settings.RetryWindow), settings: settings}
		r.series[req.DeliveryID] = s
		if r.retry(ctx, req.DeliveryID, s) == models.DeliveryFailed {
			r.resentFailed++
		}
	})
}

// finish waits for every series and resend under way, including resends
// that come meanwhile, and ends the run with its result.
func (r *deliveryRun) finish(ctx workflow.Context, result DeliveryResult, webhookIDs []string) (DeliveryResult, error) {
	if err := workflow.Await(ctx, func() bool { return r.active == 0 && r.resends.Len() == 0 }); err != nil {
		return result, err
	}
	result.Resent, result.ResentFailed = r.resent, r.resentFailed
	status := StatusSucceeded
	if result.Failed > 0 || result.ResentFailed > 0 {
		status = StatusFailed
	}
	if deliveryStatusUnchanged(ctx, webhookIDs, status) {
		return result, nil
	}
	return result, setDeliveryStatus(ctx, webhookIDs, status)
}

// deliveryStatusUnchanged reports whether the run's search attributes say
// its outcome already, so it need not upsert them (one history event fewer
// for every successful delivery): it started without a DeliveryStatus (the
// starter leaves it out since events are matched to webhooks when stored),
// never set one since (no retry), succeeded, and its WebhookId names the
// webhooks it delivered to. A completed run without DeliveryStatus has so
// succeeded at its first attempts.
//
// Not workflow.GetVersion: its marker and change-version upsert would cost
// two history events to save one. The start's attributes are in the
// history as well, so replay decides alike: runs started with
// DeliveryStatus "delivering" (by starters from before) upsert their
// outcome as they always did. Workers must be deployed before the API
// servers that start runs without it, as for every workflow change.
func deliveryStatusUnchanged(ctx workflow.Context, webhookIDs []string, status string) bool {
	attributes := workflow.GetTypedSearchAttributes(ctx)
	if _, set := attributes.GetKeyword(DeliveryStatusKey); set || status != StatusSucceeded {
		return false
	}
	started, _ := attributes.GetKeywordList(WebhookIDKey)
	return models.SameWebhooks(started, webhookIDs)
}

// latest is the later of two times.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
