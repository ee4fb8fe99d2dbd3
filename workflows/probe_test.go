package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
)

var probeSettings = activities.ProbeSettings{MinInterval: time.Minute, MaxInterval: 6 * time.Hour}

func newProbeEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(&activities.Activities{})
	env.RegisterWorkflow(Probe)
	var a *activities.Activities
	env.OnActivity(a.ProbeSettingsOf, mock.Anything).Return(probeSettings, nil)
	env.OnActivity(a.AnnounceDisabled, mock.Anything, "wh_1").Return(nil).Maybe()
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env
}

func probeResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) ProbeResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res ProbeResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

// The waits grow from the minimum, doubling, up to the maximum, each
// shortened by at most 20%; the first 2xx recovers the webhook.
func TestProbeWaitsLongerEachTimeUntilTheReceiverAnswers(t *testing.T) {
	env := newProbeEnv(t)
	var a *activities.Activities
	var probedAt []time.Time
	const failures = 12
	env.OnActivity(a.ProbeWebhook, mock.Anything, activities.ProbeRequest{WebhookID: "wh_1", Send: true}).
		Return(func(context.Context, activities.ProbeRequest) (activities.ProbeOutcome, error) {
			probedAt = append(probedAt, env.Now())
			if len(probedAt) <= failures {
				return activities.ProbeOutcome{Result: "HTTP 503"}, nil
			}
			return activities.ProbeOutcome{Recovered: true, Held: 7, Result: "HTTP 200"}, nil
		})
	env.OnActivity(a.AnnounceRecovered, mock.Anything, "wh_1", int64(7), mock.Anything).Return(nil).Once()
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)

	env.ExecuteWorkflow(Probe, ProbeInput{WebhookID: "wh_1"})

	require.Equal(t, ProbeResult{Probes: failures + 1, Recovered: true, Held: 7}, probeResult(t, env))
	previous := started
	for i, at := range probedAt {
		full := min(probeSettings.MinInterval<<i, probeSettings.MaxInterval)
		wait := at.Sub(previous)
		require.LessOrEqual(t, wait, full, "wait %d", i)
		require.GreaterOrEqual(t, wait, full-full/5, "wait %d is shortened by at most 20%%", i)
		previous = at
	}
	require.Equal(t, probeSettings.MaxInterval, min(probeSettings.MinInterval<<(failures), probeSettings.MaxInterval), "the last waits reach the cap")
}

func TestProbeIntervalGrowsToItsCapWithBoundedJitter(t *testing.T) {
	for n, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		require.Equal(t, want, probeInterval(probeSettings, n, 0))
		require.Equal(t, want-want/5, probeInterval(probeSettings, n, 1))
	}
	require.Equal(t, 6*time.Hour, probeInterval(probeSettings, 9, 0), "2^9 min is over 6 h")
	require.Equal(t, 6*time.Hour, probeInterval(probeSettings, 1000, 0), "no overflow however many probes")
}

// An owner's move signals the probe, which looks at once and ends when the
// webhook is no longer disabled by hookflow; no probe is sent then.
func TestProbeEndsWhenItsOwnerTakesTheWebhookInHand(t *testing.T) {
	env := newProbeEnv(t)
	var a *activities.Activities
	env.OnActivity(a.ProbeWebhook, mock.Anything, activities.ProbeRequest{WebhookID: "wh_1"}).
		Return(activities.ProbeOutcome{Stop: true, Why: "the webhook is active by its owner's hand"}, nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalProbeLook, nil) }, 30*time.Second)

	env.ExecuteWorkflow(Probe, ProbeInput{WebhookID: "wh_1"})

	require.Equal(t, ProbeResult{Stopped: "the webhook is active by its owner's hand"}, probeResult(t, env))
}

// A deleted webhook ends the probe at its next turn.
func TestProbeEndsWhenTheWebhookIsDeleted(t *testing.T) {
	env := newProbeEnv(t)
	var a *activities.Activities
	env.OnActivity(a.ProbeWebhook, mock.Anything, activities.ProbeRequest{WebhookID: "wh_1", Send: true}).
		Return(activities.ProbeOutcome{Stop: true, Why: "the webhook was deleted"}, nil).Once()

	env.ExecuteWorkflow(Probe, ProbeInput{WebhookID: "wh_1"})

	require.Equal(t, ProbeResult{Probes: 1, Stopped: "the webhook was deleted"}, probeResult(t, env))
}

// A run holds at most probesPerRun probes; the next goes on with the count.
func TestProbeContinuesAsNewAfterItsProbes(t *testing.T) {
	env := newProbeEnv(t)
	var a *activities.Activities
	env.OnActivity(a.ProbeWebhook, mock.Anything, activities.ProbeRequest{WebhookID: "wh_1", Send: true}).
		Return(activities.ProbeOutcome{Result: "HTTP 503"}, nil).Times(probesPerRun)

	env.ExecuteWorkflow(Probe, ProbeInput{WebhookID: "wh_1", Probes: 3})

	var in ProbeInput
	requireContinuedAsNew(t, env, &in)
	require.Equal(t, ProbeInput{WebhookID: "wh_1", Probes: 3 + probesPerRun}, in)
}
