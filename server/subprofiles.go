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
	errs.storedJSON("fields", in.Fields)
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
		Owned:        p.Owned,
		ProfileID:    p.ID,
		CollectionID: col.ID,
		Fields:       orEmpty(in.Fields),
	}
	e := subprofileEvent(models.EventProfileCreate, p, &sub, nil, sub.Snapshot())
	if s.writeWithEvent(c, e, func(tx *models.Store) error { return tx.Create(c.Request.Context(), &sub) }) {
		respondTagged(c, http.StatusCreated, &sub)
	}
}

func (s *Server) listSubprofiles(c *gin.Context) {
	p, ok := load[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	filters := []models.Filter{models.Where("profile_id = ?", p.ID)}
	if col := c.Query("collection_id"); col != "" {
		if !filterReference[models.Collection](c, s.Store, "collection", col) {
			return
		}
		filters = append(filters, models.Where("collection_id = ?", col))
	}
	respondList(c, filters, same[models.Subprofile], s.Store)
}

func (s *Server) getSubprofile(c *gin.Context) {
	if sub, ok := load[models.Subprofile](c, s.Store, "subprofile"); ok {
		respondTagged(c, http.StatusOK, sub)
	}
}

func (s *Server) updateSubprofile(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Subprofile](c, s.Store, "subprofile")
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
	p, ok := s.profileOf(c, current)
	if !ok {
		return
	}
	var ann announcement
	sub, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		func(_ *models.Store, sub *models.Subprofile) (models.Change, error) {
			// Merged into the subprofile as read, and only while it is unchanged.
			change := models.Change{}.AtVersion(sub.Version)
			if in.Fields != nil {
				merged := mergeFields(sub.Fields, in.Fields)
				if !mergedFieldsFit(c, merged) {
					return change, errAnswered
				}
				change = change.SetJSON("fields", merged)
			}
			return change, nil
		},
		func(tx *models.Store, before, after *models.Subprofile) error {
			return ann.store(c, tx, subprofileEvent(models.EventProfileUpdate, p, after, before.Snapshot(), after.Snapshot()))
		})
	if err != nil {
		writeFailed(c, "subprofile", current.ID, err)
		return
	}
	s.dispatch(ann.event)
	respondTagged(c, http.StatusOK, sub)
}

func (s *Server) deleteSubprofile(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Subprofile](c, s.Store, "subprofile")
	if !ok {
		return
	}
	p, ok := s.profileOf(c, current)
	if !ok {
		return
	}
	var ann announcement
	_, err := models.RemoveOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		func(tx *models.Store, sub *models.Subprofile) error {
			return ann.store(c, tx, subprofileEvent(models.EventProfileDelete, p, sub, sub.Snapshot(), nil))
		})
	if err != nil {
		writeFailed(c, "subprofile", current.ID, err)
		return
	}
	s.dispatch(ann.event)
	c.Status(http.StatusNoContent)
}

// profileOf loads the profile a subprofile belongs to.
func (s *Server) profileOf(c *gin.Context, sub *models.Subprofile) (*models.Profile, bool) {
	p, err := models.Get[models.Profile](c.Request.Context(), s.Store, sub.ProfileID)
	if err != nil {
		storeError(c, err)
		return nil, false
	}
	return p, true
}
