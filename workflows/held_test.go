package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

// A delivery whose webhook is paused or disabled while it is retried is
// held: its series ends without an attempt and without FailDelivery, and
// it is not counted as failed.
func TestAHeldDeliveryEndsItsSeriesWithoutFailing(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1", "wh_2"},
		Held:       1,
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Minute, Attempts: 1}},
	}, nil)
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).
		Return(activities.AttemptResult{Status: models.DeliveryHeld, Attempts: 1, Reason: "webhook wh_1 is paused"}, nil).Once()

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})

	require.Equal(t, DeliveryResult{Webhooks: 2, Held: 2}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status, "nothing failed")
}

// A released delivery handed back with NotBefore waits until then, and its
// retry window counts from the hand-over, not from the event.
func TestAResendWithNotBeforeWaitsForIt(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliveryRetrySettings, mock.Anything).Return(activities.RetrySettings{RetryWindow: time.Hour, RequestTimeout: time.Second}, nil).Once()
	var at time.Time
	env.OnActivity(a.AttemptDelivery, mock.Anything, activities.AttemptRequest{DeliveryID: "dlv_1", PriorAttempts: 2}).
		Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
			at = env.Now()
			return succeeded, nil
		}).Once()
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	notBefore := env.Now().Add(90 * time.Second)

	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1", Resend: &ResendRequest{DeliveryID: "dlv_1", WebhookID: "wh_1", PriorAttempts: 2, NotBefore: notBefore}})

	require.Equal(t, DeliveryResult{Resent: 1}, deliveryResult(t, env))
	require.Equal(t, 90*time.Second, at.Sub(started), "attempted at NotBefore")
}

func newDrainEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Drain)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func drainResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) DrainResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res DrainResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func TestDrainReleasesPagesUntilNoneIsLeft(t *testing.T) {
	env := newDrainEnv(t)
	var a *activities.Activities
	pages := 0
	env.OnActivity(a.ReleaseHeldPage, mock.Anything, "wh_1").Return(func(context.Context, string) (activities.DrainProgress, error) {
		pages++
		if pages == 3 {
			return activities.DrainProgress{Released: 2, Done: true}, nil
		}
		return activities.DrainProgress{Released: 500}, nil
	})

	env.ExecuteWorkflow(Drain, DrainInput{WebhookID: "wh_1"})

	require.Equal(t, DrainResult{Released: 1002}, drainResult(t, env))
	require.Equal(t, 3, pages)
}

// A webhook paused or disabled again stops the drain: the rest stay held.
func TestDrainStopsWhenTheWebhookIsNoLongerActive(t *testing.T) {
	env := newDrainEnv(t)
	var a *activities.Activities
	env.OnActivity(a.ReleaseHeldPage, mock.Anything, "wh_1").Return(activities.DrainProgress{Released: 3, Stopped: true}, nil).Once()

	env.ExecuteWorkflow(Drain, DrainInput{WebhookID: "wh_1"})

	require.Equal(t, DrainResult{Released: 3, Stopped: true}, drainResult(t, env))
}

// A release that comes while a page runs has the drain look again once it
// found nothing left: a delivery may have been held meanwhile.
func TestDrainLooksAgainAfterAReleaseDuringItsLastPage(t *testing.T) {
	env := newDrainEnv(t)
	var a *activities.Activities
	pages := 0
	env.OnActivity(a.ReleaseHeldPage, mock.Anything, "wh_1").Return(func(ctx context.Context, _ string) (activities.DrainProgress, error) {
		pages++
		if pages == 1 {
			env.SignalWorkflow(SignalRelease, nil)
		}
		return activities.DrainProgress{Released: 1, Done: true}, nil
	}).Times(2)

	env.ExecuteWorkflow(Drain, DrainInput{WebhookID: "wh_1"})

	require.Equal(t, DrainResult{Released: 2}, drainResult(t, env))
}

// However long the backlog, a run holds at most drainPagesPerRun pages.
func TestDrainContinuesAsNewAfterItsPages(t *testing.T) {
	env := newDrainEnv(t)
	var a *activities.Activities
	env.OnActivity(a.ReleaseHeldPage, mock.Anything, "wh_1").Return(activities.DrainProgress{Released: 500}, nil).Times(drainPagesPerRun)

	env.ExecuteWorkflow(Drain, DrainInput{WebhookID: "wh_1"})

	var in DrainInput
	requireContinuedAsNew(t, env, &in)
	require.Equal(t, DrainInput{WebhookID: "wh_1"}, in)
}

// A database outage delays a page, never ends the drain.
func TestDrainWaitsOutAnOutage(t *testing.T) {
	env := newDrainEnv(t)
	var a *activities.Activities
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.OnActivity(a.ReleaseHeldPage, mock.Anything, "wh_1").Return(func(ctx context.Context, _ string) (activities.DrainProgress, error) {
		if env.Now().Sub(started) < time.Hour {
			return activities.DrainProgress{}, databaseDown(ctx)
		}
		return activities.DrainProgress{Done: true}, nil
	})

	env.ExecuteWorkflow(Drain, DrainInput{WebhookID: "wh_1"})

	require.Equal(t, DrainResult{}, drainResult(t, env))
}
