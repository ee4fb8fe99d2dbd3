package server

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// load fetches the T named by the path parameter :id in the request's
// account, answering 404 itself when there is none: another account's id
// answers exactly as an unknown one.
func load[T any](c *gin.Context, store *models.Store, what string, preload ...string) (*T, bool) {
	id := c.Param("id")
	v, err := models.GetOwned[T](c.Request.Context(), store, accountOf(c), id, preload...)
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, what, id)
		return nil, false
	}
	if err != nil {
		storeError(c, err)
		return nil, false
	}
	return v, true
}

// reference checks that an id given in a request body exists in the
// request's account, answering 422 naming the field when it does not.
func reference[T any](c *gin.Context, store *models.Store, field, id string) (*T, bool) {
	v, errs, err := lookUpReference[T](c, store, field, id)
	if err != nil {
		storeError(c, err)
		return nil, false
	}
	if errs.answered(c) {
		return nil, false
	}
	return v, true
}

// filterReference checks that an id given as a list filter exists in the
// request's account, answering 404 itself when it does not: a filter on
// another account's id must not look like an empty list.
func filterReference[T any](c *gin.Context, store *models.Store, what, id string) bool {
	_, err := models.GetOwned[T](c.Request.Context(), store, accountOf(c), id)
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, what, id)
		return false
	}
	if err != nil {
		storeError(c, err)
		return false
	}
	return true
}

// lookUpReference is reference for callers that answer for themselves, as
// a batch does once for many items: an id unknown in the request's account
// comes back as the field's error, a failure of the database as err.
func lookUpReference[T any](c *gin.Context, store *models.Store, field, id string) (*T, fieldErrors, error) {
	v, err := models.GetOwned[T](c.Request.Context(), store, accountOf(c), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fieldErrors{{Field: field, Reason: "no such id: " + id}}, nil
	}
	return v, nil, err
}
