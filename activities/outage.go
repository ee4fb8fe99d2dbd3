package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/models"
)

// retryLater is how every activity returns an error that is not its own
// verdict: a dependency failed (the database is down, a query timed out).
// It becomes a retryable error whose NextRetryDelay grows with the attempt
// up to the worker's MaxOutageRetryDelay, so the step is tried again soon
// after the dependency is back, without limit: an outage never ends a
// workflow. A stored value that cannot be decoded will not decode on a
// retry either, so it is non-retryable. Application errors (the
// activity's verdicts) pass unchanged.
func (a *Activities) retryLater(ctx context.Context, err error) error {
	var appErr *temporal.ApplicationError
	if err == nil || errors.As(err, &appErr) {
		return err
	}
	if errors.Is(err, models.ErrUnreadable) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrorTypeUnreadable, err)
	}
	attempt := 1
	if activity.IsActivity(ctx) {
		attempt = int(activity.GetInfo(ctx).Attempt)
	}
	delay := backoff(attempt, firstOutageRetryDelay, a.settings().MaxOutageRetryDelay)
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrorTypeUnavailable, temporal.ApplicationErrorOptions{
		NextRetryDelay: delay,
		Cause:          err,
	})
}
