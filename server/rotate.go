package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/signing"
)

type rotateSecretInput struct {
	// Grace is a Go duration ("24h", "90m", "0s").
	Grace *string `json:"grace"`
}

// secretRotation answers a rotation: the new secret, shown only now, and
// until when the old one still signs (nil: it no longer does).
type secretRotation struct {
	ID                      string     `json:"id"`
	Secret                  string     `json:"secret"`
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
}

// grace reads the grace period: default DefaultSecretGrace, 0 to at most
// MaxSecretGrace.
func (in rotateSecretInput) grace() (time.Duration, fieldErrors) {
	if in.Grace == nil {
		return models.DefaultSecretGrace, nil
	}
	d, err := time.ParseDuration(*in.Grace)
	switch {
	case err != nil:
		return 0, fieldErrors{{Field: "grace", Reason: `must be a duration such as "24h", "90m" or "0s"`}}
	case d < 0 || d > models.MaxSecretGrace:
		return 0, fieldErrors{{Field: "grace", Reason: "must be between 0s and " + models.MaxSecretGrace.String()}}
	}
	return d, nil
}

// rotateSecret gives a webhook a new signing secret. During the grace
// period every request is signed with both, the new one first; after it
// only with the new one. The new secret is answered once, now.
func (s *Server) rotateSecret(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Webhook](c, s.Store, "webhook")
	if !ok {
		return
	}
	var in rotateSecretInput
	if !decodeJSON(c, &in) {
		return
	}
	grace, errs := in.grace()
	if errs.answered(c) {
		return
	}
	secret, err := signing.NewSecret()
	if err != nil {
		storeError(c, err)
		return
	}
	now := models.Now()
	w, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		func(_ *models.Store, w *models.Webhook) (models.Change, error) {
			return models.RotateSecret(w, secret, grace, now), nil
		}, nil)
	if err != nil {
		writeFailed(c, "webhook", current.ID, err)
		return
	}
	c.JSON(http.StatusOK, secretRotation{ID: w.ID, Secret: w.Secret, PreviousSecretExpiresAt: w.PreviousSecretExpiresAt})
}
