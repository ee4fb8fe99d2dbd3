package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// listResponse is the shape of every list.
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// pageRequest reads ?limit= and ?cursor=, answering 400 itself when bad.
func pageRequest(c *gin.Context) (models.PageRequest, bool) {
	page := models.PageRequest{Cursor: c.Query("cursor"), Limit: defaultPageSize}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageSize {
			abortProblem(c, http.StatusBadRequest, "invalid query parameter",
				FieldError{Field: "limit", Reason: "must be a whole number from 1 to " + strconv.Itoa(maxPageSize)})
			return page, false
		}
		page.Limit = n
	}
	return page, true
}

// respondList answers one page of the request's account's T, mapped to its API shape.
func respondList[T models.Identified, R any](c *gin.Context, filters []models.Filter, view func(*T) R, store *models.Store) {
	respondPage(c, append(filters, models.InAccount(accountOf(c))), view, store)
}

// respondNewestFirst answers one page of the request's account's T, newest first.
func respondNewestFirst[T models.Identified, R any](c *gin.Context, filters []models.Filter, view func(*T) R, store *models.Store) {
	page, ok := pageRequest(c)
	if ok {
		page.NewestFirst = true
		respondItems(c, page, append(filters, models.InAccount(accountOf(c))), view, store)
	}
}

// respondPage answers one page of T that pass the filters, whichever
// account they belong to: for the operator's lists, which name their scope.
func respondPage[T models.Identified, R any](c *gin.Context, filters []models.Filter, view func(*T) R, store *models.Store) {
	if page, ok := pageRequest(c); ok {
		respondItems(c, page, filters, view, store)
	}
}

func respondItems[T models.Identified, R any](c *gin.Context, page models.PageRequest, filters []models.Filter, view func(*T) R, store *models.Store) {
	result, err := models.List[T](c.Request.Context(), store, page, filters...)
	if err != nil {
		storeError(c, err)
		return
	}
	items := make([]R, 0, len(result.Items))
	for i := range result.Items {
		items = append(items, view(&result.Items[i]))
	}
	c.JSON(http.StatusOK, listResponse[R]{Items: items, NextCursor: result.NextCursor})
}

// storeError answers a storage failure: unknown ids are 404, collisions
// 409, anything else is ours (503: the database is unwell).
func storeError(c *gin.Context, err error) {
	switch {
	case errors.Is(err, models.ErrNotFound):
		abortProblem(c, http.StatusNotFound, "not found")
	case errors.Is(err, models.ErrConflict):
		abortProblem(c, http.StatusConflict, "conflicts with an existing resource")
	case models.IsReadOnly(err):
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "the database is read-only for now; nothing was stored, try again shortly")
	default:
		_ = c.Error(err)
		abortProblem(c, http.StatusServiceUnavailable, "the database could not complete the request")
	}
}
