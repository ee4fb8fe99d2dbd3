package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
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

func TestDeliveryRetriesAfterServerErrorThenSucceeds(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 5 * time.Second}},
	}, nil)
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(retryable(10 * time.Second)).Once()
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Succeeded: 1}, deliveryResult(t, env))
}

func TestDeliveryFailsAtOnceOnPermanentError(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Second}},
	}, nil)
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").
		Return(temporal.NewNonRetryableApplicationError("receiver answered 404", "DeliveryRejected", nil)).Once()

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
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(func(_ context.Context, _ string) error {
		retryAt = env.Now()
		return nil
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
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_down").Return(func(_ context.Context, _ string) error {
		downDone = env.Now()
		return temporal.NewNonRetryableApplicationError("gone", "DeliveryRejected", nil)
	})
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_slow").Return(func(_ context.Context, _ string) error {
		slowDone = env.Now()
		return nil
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
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(func(_ context.Context, _ string) error {
		retries++
		return retryable(time.Hour)
	})
	env.OnActivity(a.FailDelivery, mock.Anything, "dlv_1", mock.Anything).Return(nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.GreaterOrEqual(t, retries, 5, "retried hourly within the 6 h window")
	require.LessOrEqual(t, retries, 6, "the worker's 6 h window, not the 72 h default")
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
	env.OnActivity(a.RetryDelivery, mock.Anything, "dlv_1").Return(func(_ context.Context, _ string) error {
		retries++
		return retryable(time.Hour)
	})
	env.OnActivity(a.FailDelivery, mock.Anything, "dlv_1", mock.Anything).Return(nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1", RetryWindow: 3 * time.Hour})

	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.GreaterOrEqual(t, retries, 2)
	require.LessOrEqual(t, retries, 3)
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
