package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names one bad input and why it is bad.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

const problemContentType = "application/problem+json"

// abortProblem answers with problem details and stops the handler chain.
func abortProblem(c *gin.Context, status int, detail string, errs ...FieldError) {
	c.Header("Content-Type", problemContentType)
	c.AbortWithStatusJSON(status, newProblem(c.Request.URL.Path, status, detail, errs...))
}

// newProblem is the problem of one request (or of one part of it, which
// instance names).
func newProblem(instance string, status int, detail string, errs ...FieldError) Problem {
	return Problem{
		Type:     "about:blank",
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: instance,
		Errors:   errs,
	}
}

// invalid answers 422 naming each bad field.
func invalid(c *gin.Context, errs ...FieldError) {
	abortProblem(c, http.StatusUnprocessableEntity, invalidDetail(errs), errs...)
}

// invalidDetail sums invalid fields up: the field itself when there is one.
func invalidDetail(errs []FieldError) string {
	if len(errs) == 1 {
		return errs[0].Field + ": " + errs[0].Reason
	}
	return "the request has invalid fields"
}

// notFound answers 404 for an unknown id.
func notFound(c *gin.Context, what, id string) {
	abortProblem(c, http.StatusNotFound, what+" "+id+" does not exist")
}
