package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

type subprofileInput struct {
	CollectionID *string       `json:"collection_id"`
	Fields       models.Fields `json:"fields"`
}

func (s *Server) createSubprofile(c *gin.Context) {
	p, ok := load[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	var in subprofileInput
	if !decodeJSON(c, &in) {
		return
	}
	var errs fieldErrors
	if in.CollectionID == nil {
		errs.add("collection_id", "is required")
	}
	errs.fields("fields", in.Fields)
	if errs.answered(c) {
		return
	}
	col, ok := reference[models.Collection](c, s.Store, "collection_id", *in.CollectionID)
	if !ok {
		return
	}
	if col.DatabaseID != p.DatabaseID {
		invalid(c, FieldError{Field: "collection_id", Reason: "collection belongs to another database than the profile"})
		return
	}
	sub := models.Subprofile{
		ID:           models.NewID(models.PrefixSubprofile),
		ProfileID:    p.ID,
		CollectionID: col.ID,
		Fields:       orEmpty(in.Fields),
	}
	if err := s.Store.Create(c.Request.Context(), &sub); err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sub)
}

func (s *Server) listSubprofiles(c *gin.Context) {
	p, ok := load[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	filters := []models.Filter{models.Where("profile_id = ?", p.ID)}
	if col := c.Query("collection_id"); col != "" {
		filters = append(filters, models.Where("collection_id = ?", col))
	}
	respondList(c, filters, same[models.Subprofile], s.Store)
}

func (s *Server) getSubprofile(c *gin.Context) {
	if sub, ok := load[models.Subprofile](c, s.Store, "subprofile"); ok {
		c.JSON(http.StatusOK, sub)
	}
}

func (s *Server) updateSubprofile(c *gin.Context) {
	sub, ok := load[models.Subprofile](c, s.Store, "subprofile")
	if !ok {
		return
	}
	var in struct {
		Fields models.Fields `json:"fields"`
	}
	if !decodeJSON(c, &in) {
		return
	}
	var errs fieldErrors
	errs.fields("fields", in.Fields)
	if errs.answered(c) {
		return
	}
	sub.Fields = mergeFields(sub.Fields, in.Fields)
	if err := s.Store.Save(c.Request.Context(), sub); err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, sub)
}

func (s *Server) deleteSubprofile(c *gin.Context) {
	if err := models.Delete[models.Subprofile](c.Request.Context(), s.Store, c.Param("id")); err != nil {
		storeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
