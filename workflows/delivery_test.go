package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// newDeliveryEnv returns a test environment and the DeliveryStatus search
// attribute as the workflow last set it.
func newDeliveryEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *string) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Delivery)
	status := new(string)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		if v, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(DeliveryStatusKey); ok {
			*status = v
		}
	}).Return(nil).Maybe()
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env, status
}

func retryable(after time.Duration) error {
	return temporal.NewApplicationErrorWithOptions("receiver answered 503", "DeliveryFailed", temporal.ApplicationErrorOptions{NextRetryDelay: after})
}

func deliveryResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) DeliveryResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res DeliveryResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestDeliverySucceedsOnFirstAttempt(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").
		Return(activities.FirstAttemptsResult{WebhookIDs: []string{"wh_1", "wh_2"}}, nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 2, Succeeded: 2}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status)
}

// TestDeliveryMatchedWhenStoredKeepsItsStartAttributes: a run started
// with the WebhookId of the event's match when stored, and no
// DeliveryStatus, whose first attempts all succeed to those webhooks
// upserts nothing (six history events); one whose worker finds other
// webhooks records them, and its outcome.
func TestDeliveryMatchedWhenStoredKeepsItsStartAttributes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		found      []string
		wantStatus string
	}{
		{"same webhooks", []string{"wh_1", "wh_2"}, ""},
		{"webhooks changed since stored", []string{"wh_1", "wh_3"}, StatusSucceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, status := newDeliveryEnv(t)
			require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
				EventTypeKey.ValueSet("open"), WebhookIDKey.ValueSet([]string{"wh_2", "wh_1"}))))
			var a *activities.Activities
			env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").
				Return(activities.FirstAttemptsResult{WebhookIDs: tc.found}, nil).Once()

			env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

			require.Equal(t, DeliveryResult{Webhooks: 2, Succeeded: 2}, deliveryResult(t, env))
			require.Equal(t, tc.wantStatus, *status)
		})
	}
}

// TestDeliveryStartedDeliveringRecordsItsOutcome: a run started as
// starters from before started them, with DeliveryStatus "delivering",
// records "succeeded" as it always did, so such histories replay.
func TestDeliveryStartedDeliveringRecordsItsOutcome(t *testing.T) {
	env, status := newDeliveryEnv(t)
	require.NoError(t, env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(
		EventTypeKey.ValueSet("open"), DeliveryStatusKey.ValueSet(StatusDelivering))))
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").
		Return(activities.FirstAttemptsResult{WebhookIDs: []string{"wh_1"}}, nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Succeeded: 1}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status)
}

// pendingUntil is AttemptDelivery's answer after a failed attempt: the
// delivery waits until after.
func pendingUntil(env *testsuite.TestWorkflowEnvironment, attempts int, after time.Duration) activities.AttemptResult {
	next := env.Now().Add(after)
	return activities.AttemptResult{Status: models.DeliveryPending, Attempts: attempts, NextAttemptAt: &next, Reason: "HTTP 503"}
}

var (
	succeeded = activities.AttemptResult{Status: models.DeliverySucceeded}
	failedNow = activities.AttemptResult{Status: models.DeliveryFailed, Reason: "HTTP 404"}
)

func attemptOf(deliveryID string) activities.AttemptRequest {
	return activities.AttemptRequest{DeliveryID: deliveryID}
}

func TestDeliveryRetriesAfterServerErrorThenSucceeds(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 5 * time.Second, Attempts: 1}},
	}, nil)
	var at []time.Time
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		at = append(at, env.Now())
		if len(at) == 1 {
			return pendingUntil(env, 2, 10*time.Second), nil
		}
		return succeeded, nil
	}).Times(2)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Succeeded: 1}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status)
	require.GreaterOrEqual(t, at[1].Sub(at[0]), 10*time.Second, "the second retry waits the delay the first one recorded")
}

func TestDeliveryFailsAtOnceOnPermanentError(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Second}},
	}, nil)
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(failedNow, nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.Equal(t, StatusFailed, *status)
}

func TestDeliveryWaitsForRetryAfter(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 2 * time.Minute}},
	}, nil)
	var started time.Time
	retryAt := time.Time{}
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		retryAt = env.Now()
		return succeeded, nil
	}).Once()
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	deliveryResult(t, env)
	require.GreaterOrEqual(t, retryAt.Sub(started), 2*time.Minute)
}

func TestDeliveryEndpointsAreIndependent(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_down", "wh_slow", "wh_ok"},
		Pending: []activities.PendingDelivery{
			{DeliveryID: "dlv_down", WebhookID: "wh_down", RetryAfter: time.Second},
			{DeliveryID: "dlv_slow", WebhookID: "wh_slow", RetryAfter: time.Hour},
		},
	}, nil)
	var downDone, slowDone time.Time
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_down")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		downDone = env.Now()
		return failedNow, nil
	})
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_slow")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		slowDone = env.Now()
		return succeeded, nil
	})

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 3, Succeeded: 2, Failed: 1}, deliveryResult(t, env))
	require.True(t, downDone.Before(slowDone), "the failing endpoint finished before the slow one's retry: neither waited for the other")
}

func TestDeliveryGivesUpWhenTheWindowRunsOut(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs:    []string{"wh_1"},
		Pending:       []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Minute}},
		RetrySettings: activities.RetrySettings{RetryWindow: 6 * time.Hour},
	}, nil)
	retries := 0
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		retries++
		return pendingUntil(env, retries+1, time.Hour), nil
	})
	env.OnActivity(a.FailDelivery, mock.Anything, "dlv_1", "retry window ran out").Return(nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.Equal(t, 6, retries, "retried hourly within the worker's 6 h window (at 1 min, then hourly), not the 72 h default")
}

// Runs started while the API process set the window keep it on replay.
func TestDeliveryStartedWithAWindowInItsInputKeepsIt(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Minute}},
	}, nil)
	retries := 0
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		retries++
		return pendingUntil(env, retries+1, time.Hour), nil
	})
	env.OnActivity(a.FailDelivery, mock.Anything, "dlv_1", mock.Anything).Return(nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1", RetryWindow: 3 * time.Hour})

	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.Equal(t, 3, retries)
}

// Runs started before the workflow waited between retries itself go on
// with Temporal's retries of RetryDelivery, as they started.
func TestDeliveryStartedBeforeRetriesInTheWorkflowKeepsTemporalRetries(t *testing.T) {
	env, status := newDeliveryEnv(t)
	env.OnGetVersion(retriesInWorkflowChange, workflow.DefaultVersion, retriesInWorkflow).Return(workflow.DefaultVersion)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1", "wh_2"},
		Pending: []activities.PendingDelivery{
			{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 5 * time.Second},
			{DeliveryID: "dlv_2", WebhookID: "wh_2", RetryAfter: time.Second},
		},
	}, nil)
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(retryable(10 * time.Second)).Once()
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(nil).Once()
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_2").
		Return(temporal.NewNonRetryableApplicationError("receiver answered 404", "DeliveryRejected", nil)).Once()
	// While it waits for the first retry it knows when that is due.
	var started time.Time
	var schedule *models.DeliverySchedule
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.RegisterDelayedCallback(func() { schedule = querySchedule(t, env, "dlv_1") }, 2*time.Second)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 2, Succeeded: 1, Failed: 1}, deliveryResult(t, env))
	require.Equal(t, StatusFailed, *status)
	require.NotNil(t, schedule)
	require.Equal(t, started.Add(5*time.Second).UTC(), schedule.NextAttemptAt.UTC())
	require.Equal(t, started.Add(activities.DefaultRetryWindow).UTC(), schedule.RetryWindowEndsAt.UTC())
	require.Positive(t, schedule.AttemptsLeft)
}

// A deleted event, or one that cannot be read, ends the workflow with a
// result that says so; it does not fail.
func TestDeliverySkipsAnEventThatCannotBeRead(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	reason := "event evt_1 cannot be read: unreadable stored value: exceeded max depth"
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").
		Return(activities.FirstAttemptsResult{Skipped: reason}, nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Skipped: reason}, deliveryResult(t, env))
	require.Equal(t, StatusSkipped, *status)
}

// Workers from before skipped results answered a deleted event with a
// non-retryable error: that skips the event too.
func TestDeliverySkipsAnEventAWorkerRefused(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").
		Return(activities.FirstAttemptsResult{}, temporal.NewNonRetryableApplicationError("event evt_1 not found", activities.ErrorTypeEventNotFound, nil)).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Contains(t, deliveryResult(t, env).Skipped, "event evt_1 not found")
}

// querySchedule asks the running workflow where a delivery stands.
func querySchedule(t *testing.T, env *testsuite.TestWorkflowEnvironment, deliveryID string) *models.DeliverySchedule {
	t.Helper()
	v, err := env.QueryWorkflow(QueryDeliverySchedule, deliveryID)
	require.NoError(t, err)
	var schedule *models.DeliverySchedule
	require.NoError(t, v.Get(&schedule))
	return schedule
}

// inUTC is a schedule, which must be there, with its times in UTC.
func inUTC(s *models.DeliverySchedule) models.DeliverySchedule {
	if s == nil {
		return models.DeliverySchedule{}
	}
	return models.DeliverySchedule{NextAttemptAt: s.NextAttemptAt.UTC(), AttemptsLeft: s.AttemptsLeft, RetryWindowEndsAt: s.RetryWindowEndsAt.UTC()}
}

// While a delivery waits for its next attempt, the workflow answers when
// that is due (as the last attempt recorded it), how many attempts the
// window still holds, and when it ends; nothing for a delivery it is not
// retrying.
func TestDeliveryAnswersWhenTheNextAttemptIsDue(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	firstDue := env.Now().Add(7 * time.Second)
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 5 * time.Second, NextAttemptAt: &firstDue, Attempts: 1}},
		RetrySettings: activities.RetrySettings{RetryWindow: time.Minute, RequestTimeout: time.Second,
			FirstRetryDelay: 5 * time.Second, MaxRetryDelay: 20 * time.Second},
	}, nil)
	var secondDue time.Time
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		res := pendingUntil(env, 2, 30*time.Second)
		if secondDue.IsZero() {
			secondDue = *res.NextAttemptAt
			return res, nil
		}
		return succeeded, nil
	})
	var waiting, waitingMore, other *models.DeliverySchedule
	env.RegisterDelayedCallback(func() {
		waiting = querySchedule(t, env, "dlv_1")
		other = querySchedule(t, env, "dlv_2")
	}, 3*time.Second)
	env.RegisterDelayedCallback(func() { waitingMore = querySchedule(t, env, "dlv_1") }, 20*time.Second)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	deliveryResult(t, env)
	require.Nil(t, other)
	require.Equal(t, models.DeliverySchedule{NextAttemptAt: firstDue.UTC(), AttemptsLeft: 4, RetryWindowEndsAt: started.Add(time.Minute).UTC()}, inUTC(waiting),
		"due at 7 s as recorded; then at most 10, 20, 20 s apart: 7, 17, 37, 57 s fit in the minute")
	require.Equal(t, models.DeliverySchedule{NextAttemptAt: secondDue.UTC(), AttemptsLeft: 2, RetryWindowEndsAt: started.Add(time.Minute).UTC()}, inUTC(waitingMore),
		"due at 37 s; then 57 s")
}

// A run started to resend a delivery makes its first attempt at once and
// retries it within a window of its own, numbering its attempts after the
// earlier ones and starting the backoff over.
func TestAResendRunDeliversOneDeliveryAgain(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliveryRetrySettings, mock.Anything).Return(activities.RetrySettings{RetryWindow: time.Hour, RequestTimeout: time.Second}, nil).Once()
	var at []time.Time
	resent := activities.AttemptRequest{DeliveryID: "dlv_1", PriorAttempts: 3}
	env.OnActivity(a.AttemptDelivery, mock.Anything, resent).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		at = append(at, env.Now())
		if len(at) == 1 {
			return pendingUntil(env, 4, 5*time.Second), nil
		}
		return succeeded, nil
	}).Times(2)
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1", Resend: &ResendRequest{DeliveryID: "dlv_1", WebhookID: "wh_1", PriorAttempts: 3}})

	require.Equal(t, DeliveryResult{Resent: 1}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status)
	require.Equal(t, started, at[0], "the resend is attempted at once")
	require.Equal(t, 5*time.Second, at[1].Sub(at[0]))
}

// A resend that reaches a run under way is delivered by it, in a series of
// its own; one for a delivery the run is retrying already is ignored.
func TestAResendJoinsTheRunUnderWay(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1", "wh_2"},
		Failed:     1,
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 10 * time.Minute, Attempts: 1}},
	}, nil)
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(succeeded, nil).Once()
	env.OnActivity(a.DeliveryRetrySettings, mock.Anything).Return(activities.RetrySettings{RetryWindow: time.Hour, RequestTimeout: time.Second}, nil).Once()
	var resentAt time.Time
	env.OnActivity(a.AttemptDelivery, mock.Anything, activities.AttemptRequest{DeliveryID: "dlv_2", PriorAttempts: 1}).
		Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
			resentAt = env.Now()
			return succeeded, nil
		}).Once()
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalResend, ResendRequest{DeliveryID: "dlv_2", WebhookID: "wh_2", PriorAttempts: 1})
		env.SignalWorkflow(SignalResend, ResendRequest{DeliveryID: "dlv_1", WebhookID: "wh_1", PriorAttempts: 1})
	}, time.Minute)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 2, Succeeded: 1, Failed: 1, Resent: 1}, deliveryResult(t, env))
	require.Equal(t, StatusFailed, *status, "the first attempt of wh_2 failed; its resend is counted apart")
	require.Equal(t, time.Minute, resentAt.Sub(started), "resent when asked, not after dlv_1's wait")
}
