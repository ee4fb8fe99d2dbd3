// Package activities holds every side effect of hookflow's workflows:
// database reads and writes, HTTP calls to receivers. Workflows call these
// methods through a nil *Activities; the worker registers a real one.
package activities

import (
	"net/http"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/signing"
)

// Activities carries the dependencies of every activity.
type Activities struct {
	Store *models.Store
	// HTTP calls receivers; build it with netpolicy.Policy.NewHTTPClient so
	// private addresses stay unreachable and the per-request timeout holds.
	HTTP *http.Client
	// Signer signs every request (v1 with the webhook's secret, v1a with the server key).
	Signer signing.Signer
	// UserAgent is sent on every request, "hookflow/<version>".
	UserAgent string
	// MaxResponseBytes caps how much of a receiver's answer is read; 0
	// means 64 KiB.
	MaxResponseBytes int64
	// Settings are the worker's delivery and verification settings; zero
	// ones take their defaults.
	Settings Settings
	// Runs answers for and starts delivery workflows in Temporal: the
	// reconciler and operational events need it (worker.New sets it).
	Runs DeliveryRuns
	// Metrics count deliveries, attempts and checks; nil counts nothing.
	Metrics *Metrics
}
