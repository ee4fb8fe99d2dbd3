package workflows

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/models"
)

func newWebhookTestEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(WebhookTest)
	env.RegisterWorkflow(WebhookCheck)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

var testInput = activities.WebhookTestInput{AccountID: "acc_1", WebhookID: "wh_1", TestID: "test_1", EventType: models.EventOpen}

func TestWebhookTestAnswersWhatWasSentAndReceived(t *testing.T) {
	env := newWebhookTestEnv(t)
	var a *activities.Activities
	want := activities.WebhookTestResult{
		OK:       true,
		Request:  activities.TestRequest{URL: "https://hooks.example/h", Headers: map[string]string{"Webhook-Id": "test_1"}, Body: `{"test":true}`},
		Response: &activities.TestResponse{Status: 200, LatencyMS: 12, Excerpt: "thanks"},
	}
	env.OnActivity(a.SendTestEvent, mock.Anything, testInput).Return(want, nil).Once()

	env.ExecuteWorkflow(WebhookTest, testInput)

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got activities.WebhookTestResult
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, want, got)
}

// The activity's refusal ends the run at once, with its type intact for
// the API; nothing is tried again.
func TestWebhookTestEndsOnARefusal(t *testing.T) {
	env := newWebhookTestEnv(t)
	var a *activities.Activities
	env.OnActivity(a.SendTestEvent, mock.Anything, testInput).
		Return(activities.WebhookTestResult{}, temporal.NewNonRetryableApplicationError("webhook wh_1 is unverified", activities.ErrorTypeWebhookUnverified, nil)).Once()

	env.ExecuteWorkflow(WebhookTest, testInput)

	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.ErrorIs(t, verdict(err), models.ErrWebhookUnverified)
}

// A blip of the database is tried again a few times; an outage ends the
// run, whose caller answers that it could not be done now.
func TestWebhookTestRetriesABlipOnly(t *testing.T) {
	env := newWebhookTestEnv(t)
	var a *activities.Activities
	calls := 0
	env.OnActivity(a.SendTestEvent, mock.Anything, testInput).Return(func(ctx context.Context, _ activities.WebhookTestInput) (activities.WebhookTestResult, error) {
		calls++
		return activities.WebhookTestResult{}, databaseDown(ctx)
	})

	env.ExecuteWorkflow(WebhookTest, testInput)

	require.True(t, env.IsWorkflowCompleted())
	require.Error(t, env.GetWorkflowError())
	require.Equal(t, localAttempts, calls)
}

func TestWebhookCheckAnswersEveryWebhook(t *testing.T) {
	env := newWebhookTestEnv(t)
	var a *activities.Activities
	status, enforced := 200, false
	want := []activities.WebhookCheck{
		{WebhookID: "wh_1", URL: "https://a.example/h", EventType: models.EventOpen, OK: true, Status: &status, SignatureEnforced: &enforced,
			AcceptedForgeries: []string{activities.ForgeryWrongSignature}},
		{WebhookID: "wh_2", URL: "https://b.example/h", EventType: models.EventClick},
	}
	env.OnActivity(a.CheckWebhooks, mock.Anything, activities.WebhookCheckInput{AccountID: "acc_1"}).Return(want, nil).Once()

	env.ExecuteWorkflow(WebhookCheck, activities.WebhookCheckInput{AccountID: "acc_1"})

	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var got []activities.WebhookCheck
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, want, got)
}
