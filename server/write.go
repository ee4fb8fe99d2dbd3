package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// errAnswered says a step of a write answered the request itself (a 422),
// so the write stops and its transaction rolls back.
var errAnswered = errors.New("answered")

// writeFailed answers a failed conditional write of the what named by id.
func writeFailed(c *gin.Context, what, id string, err error) {
	switch {
	case errors.Is(err, errAnswered):
	case errors.Is(err, models.ErrNotFound):
		notFound(c, what, id)
	case errors.Is(err, models.ErrPreconditionFailed):
		abortProblem(c, http.StatusPreconditionFailed, what+" "+id+" changed since the ETag in If-Match; GET it again for its current ETag")
	case errors.Is(err, models.ErrContended):
		abortProblem(c, http.StatusConflict, what+" "+id+" is being changed by other requests at the same time; try again")
	default:
		storeError(c, err)
	}
}

// fixedChange is an edit that does not depend on the row it changes: it
// names columns to set, which concurrent edits of other columns leave be.
func fixedChange[T any](change models.Change) func(*models.Store, *T) (models.Change, error) {
	return func(*models.Store, *T) (models.Change, error) { return change, nil }
}
