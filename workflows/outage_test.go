package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/activities"
)

// databaseDown is what an activity returns while the database is down:
// a retryable error with the delay it chose. The SDK's test environment
// stops "unlimited" retries after 10 attempts (a real server does not), so
// the regular activities here wait longer between attempts than the
// worker's one-minute cap, to span hours in 10 attempts.
func databaseDown(ctx context.Context) error {
	after := 30 * time.Minute
	if activity.GetInfo(ctx).IsLocalActivity {
		after = time.Second
	}
	return temporal.NewApplicationErrorWithOptions("dial tcp 127.0.0.1:3306: connect: connection refused",
		activities.ErrorTypeUnavailable, temporal.ApplicationErrorOptions{NextRetryDelay: after})
}

// The first attempts fail for hours while the database is down, as a
// local activity and then as a regular one; once it is back they run, and
// the event is delivered.
func TestDeliveryOutlivesADatabaseOutageBeforeTheFirstAttempts(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	const outage = 3 * time.Hour
	var local, durable int
	var deliveredAt time.Time
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(func(ctx context.Context, _ string) (activities.FirstAttemptsResult, error) {
		if activity.GetInfo(ctx).IsLocalActivity {
			local++
		} else {
			durable++
		}
		if env.Now().Sub(started) < outage {
			return activities.FirstAttemptsResult{}, databaseDown(ctx)
		}
		deliveredAt = env.Now()
		return activities.FirstAttemptsResult{WebhookIDs: []string{"wh_1"}, Succeeded: 1}, nil
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})
	require.Equal(t, DeliveryResult{Webhooks: 1, Succeeded: 1}, deliveryResult(t, env))
	require.Equal(t, StatusSucceeded, *status)
	require.Equal(t, localAttempts, local, "a few quick local attempts first")
	require.GreaterOrEqual(t, durable, 6, "then retried as a regular activity")
	require.Less(t, deliveredAt.Sub(started), outage+2*time.Minute, "delivered soon after the database came back")
}

// Retries go on through an outage and deliver once it ends.
func TestDeliveryRetriesThroughADatabaseOutage(t *testing.T) {
	env, _ := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs: []string{"wh_1"},
		Pending:    []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: 5 * time.Second}},
	}, nil)
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	var calls int
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(ctx context.Context, _ activities.AttemptRequest) (activities.AttemptResult, error) {
		calls++
		if env.Now().Sub(started) < 2*time.Hour {
			return activities.AttemptResult{}, databaseDown(ctx)
		}
		return succeeded, nil
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})
	require.Equal(t, DeliveryResult{Webhooks: 1, Succeeded: 1}, deliveryResult(t, env))
	require.GreaterOrEqual(t, calls, 5)
}

// When the window has run out while the database is down, the failure is
// still recorded: FailDelivery is retried until it succeeds.
func TestDeliveryRecordsTheFailureOnceTheDatabaseIsBack(t *testing.T) {
	env, status := newDeliveryEnv(t)
	var a *activities.Activities
	env.OnActivity(a.DeliverFirstAttempts, mock.Anything, "evt_1").Return(activities.FirstAttemptsResult{
		WebhookIDs:    []string{"wh_1"},
		Pending:       []activities.PendingDelivery{{DeliveryID: "dlv_1", WebhookID: "wh_1", RetryAfter: time.Minute}},
		RetrySettings: activities.RetrySettings{RetryWindow: time.Hour},
	}, nil)
	var started time.Time
	env.RegisterDelayedCallback(func() { started = env.Now() }, 0)
	env.OnActivity(a.AttemptDelivery, mock.Anything, attemptOf("dlv_1")).Return(func(context.Context, activities.AttemptRequest) (activities.AttemptResult, error) {
		return pendingUntil(env, 2, 10*time.Minute), nil
	})
	var calls int
	var recordedAt time.Time
	env.OnActivity(a.FailDelivery, mock.Anything, "dlv_1", "retry window ran out").Return(func(ctx context.Context, _, _ string) error {
		calls++
		if env.Now().Sub(started) < 4*time.Hour {
			return databaseDown(ctx)
		}
		recordedAt = env.Now()
		return nil
	})
	env.ExecuteWorkflow(Delivery, DeliveryInput{EventID: "evt_1"})
	require.Equal(t, DeliveryResult{Webhooks: 1, Failed: 1}, deliveryResult(t, env))
	require.Equal(t, StatusFailed, *status)
	require.False(t, recordedAt.IsZero(), "the failure was recorded")
	require.GreaterOrEqual(t, calls, localAttempts+5, "retried through three hours of outage")
}
