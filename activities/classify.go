package activities

import (
	"errors"
	"net/http"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/netpolicy"
)

// classify says what a response means for its delivery: succeeded on 2xx;
// still pending (retry later) on timeouts, connection errors, 408, 429 and
// 5xx; failed for good on any other answer, including a final 3xx, and on
// a refused address or redirect, which retrying would not change.
func classify(r response) models.DeliveryStatus {
	if r.Err != nil {
		if errors.Is(r.Err, netpolicy.ErrForbiddenAddress) || errors.Is(r.Err, netpolicy.ErrRedirectRefused) {
			return models.DeliveryFailed
		}
		return models.DeliveryPending
	}
	switch code := r.StatusCode; {
	case code >= 200 && code < 300:
		return models.DeliverySucceeded
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return models.DeliveryPending
	}
	return models.DeliveryFailed
}
