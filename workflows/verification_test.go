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

func newVerificationEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return newWorkflowEnv(t, Verification)
}

// newWorkflowEnv is a test environment running wf with the activities
// mocked; every expectation set must be met.
func newWorkflowEnv(t *testing.T, wf any) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(wf)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func verificationOutcome(t *testing.T, env *testsuite.TestWorkflowEnvironment) VerificationOutcome {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var outcome VerificationOutcome
	require.NoError(t, env.GetWorkflowResult(&outcome))
	return outcome
}

var (
	notFound = activities.VerificationResult{Checks: []string{
		"GET https://hooks.example/dir/hookflow-x.txt: 404",
		"GET https://hooks.example/hookflow-x.txt: 404",
	}}
	passed = activities.VerificationResult{Passed: true, Checks: []string{"GET https://hooks.example/hookflow-x.txt: 200"}}
)

func TestVerificationPassesOnAutomaticRecheck(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(notFound, nil).Times(2)
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(passed, nil).Once()

	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})

	require.Equal(t, Verified, verificationOutcome(t, env))
}

func TestVerifyNowAnswersWithTheResult(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(notFound, nil).Once()
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(passed, nil).Once()

	var first, second activities.VerificationResult
	verifyNow := func(into *activities.VerificationResult) func() {
		return func() {
			env.UpdateWorkflow(UpdateVerifyNow, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { t.Errorf("update rejected: %v", err) },
				OnComplete: func(result any, err error) {
					require.NoError(t, err)
					*into = result.(activities.VerificationResult)
				},
			})
		}
	}
	// Both requests come before the first automatic check, a minute in.
	env.RegisterDelayedCallback(verifyNow(&first), 10*time.Second)
	env.RegisterDelayedCallback(verifyNow(&second), 20*time.Second)

	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})

	require.Equal(t, Verified, verificationOutcome(t, env))
	require.False(t, first.Passed)
	require.Equal(t, notFound.Checks, first.Checks, "a failed check names each location and why")
	require.True(t, second.Passed)
}

func TestVerificationExpiresAfterTheWindow(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	checks := 0
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(func(_ context.Context, _ string) (activities.VerificationResult, error) {
		checks++
		return notFound, nil
	})
	expiredAt := time.Time{}
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.OnActivity(a.ExpireVerification, mock.Anything, "wh_1").Return(func(_ context.Context, _ string) error {
		expiredAt = env.Now()
		return nil
	}).Once()

	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})

	require.Equal(t, VerificationExpired, verificationOutcome(t, env))
	require.InDelta(t, (7 * 24 * time.Hour).Seconds(), expiredAt.Sub(started).Seconds(), 60)
	// 1m,5m,15m,30m,1h,2h,4h,8h,12h then daily: 9 checks in the first day,
	// then about one a day for the rest of the week.
	require.GreaterOrEqual(t, checks, 14)
	require.LessOrEqual(t, checks, 17)
}

func TestVerificationEndsWhenTheWebhookIsGone(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").
		Return(activities.VerificationResult{}, temporal.NewNonRetryableApplicationError("no such webhook", activities.ErrorTypeWebhookNotFound, nil)).Once()

	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})

	require.Equal(t, WebhookGone, verificationOutcome(t, env))
}

func TestVerificationStopsWhenCancelled(t *testing.T) {
	env := newVerificationEnv(t)
	env.RegisterDelayedCallback(env.CancelWorkflow, 30*time.Second)

	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.True(t, temporal.IsCanceledError(env.GetWorkflowError()))
}

// The window is the worker's, read once through a recorded local activity.
func TestVerificationWindowIsTheWorkers(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	env.OnActivity(a.VerificationWindow, mock.Anything).Return(3*time.Hour, nil).Once()
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(notFound, nil)
	var started, expiredAt time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.OnActivity(a.ExpireVerification, mock.Anything, "wh_1").Return(func(context.Context, string) error {
		expiredAt = env.Now()
		return nil
	}).Once()
	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})
	require.Equal(t, VerificationExpired, verificationOutcome(t, env))
	require.InDelta(t, (3 * time.Hour).Seconds(), expiredAt.Sub(started).Seconds(), 60)
}

// A database outage ends neither the checks nor the expiry: a failed check
// waits for the next round, and the expiry is retried until recorded.
func TestVerificationOutlivesADatabaseOutage(t *testing.T) {
	env := newVerificationEnv(t)
	var a *activities.Activities
	env.OnActivity(a.VerificationWindow, mock.Anything).Return(2*time.Hour, nil).Once()
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	down := func() bool { return env.Now().Sub(started) < 5*time.Hour }
	checks := 0
	env.OnActivity(a.CheckVerification, mock.Anything, "wh_1").Return(func(ctx context.Context, _ string) (activities.VerificationResult, error) {
		checks++
		if down() {
			return activities.VerificationResult{}, databaseDown(ctx)
		}
		return notFound, nil
	})
	expiries := 0
	env.OnActivity(a.ExpireVerification, mock.Anything, "wh_1").Return(func(ctx context.Context, _ string) error {
		expiries++
		if down() {
			return databaseDown(ctx)
		}
		return nil
	})
	env.ExecuteWorkflow(Verification, VerificationInput{WebhookID: "wh_1"})
	require.Equal(t, VerificationExpired, verificationOutcome(t, env))
	require.Greater(t, checks, 3, "failed checks were only logged")
	require.Greater(t, expiries, 1, "the expiry was retried until the database was back")
}
