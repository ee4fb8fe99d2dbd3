package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

type profileInput struct {
	Email     *string       `json:"email"`
	Fields    models.Fields `json:"fields"`
	Interests []string      `json:"interests"`
}

func (in *profileInput) validate(creating bool) fieldErrors {
	var errs fieldErrors
	if creating && in.Email == nil {
		errs.add("email", "is required")
	}
	errs.email("email", in.Email)
	errs.fields("fields", in.Fields)
	errs.tags("interests", in.Interests)
	return errs
}

func (s *Server) createProfile(c *gin.Context) {
	db, ok := load[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	var in profileInput
	if !decodeJSON(c, &in) || in.validate(true).answered(c) {
		return
	}
	p := models.Profile{
		ID:         models.NewID(models.PrefixProfile),
		DatabaseID: db.ID,
		Email:      *in.Email,
		Fields:     orEmpty(in.Fields),
		Interests:  orEmptyList(in.Interests),
	}
	if err := s.Store.Create(c.Request.Context(), &p); err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (s *Server) listProfiles(c *gin.Context) {
	db, ok := load[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	filters := []models.Filter{models.Where("database_id = ?", db.ID)}
	if email := c.Query("email"); email != "" {
		filters = append(filters, models.Where("email = ?", email))
	}
	respondList(c, filters, same[models.Profile], s.Store)
}

func (s *Server) getProfile(c *gin.Context) {
	if p, ok := load[models.Profile](c, s.Store, "profile"); ok {
		c.JSON(http.StatusOK, p)
	}
}

// updateProfile changes the given parts; fields are merged key by key and
// a key set to null is removed, as customers expect from a PATCH.
func (s *Server) updateProfile(c *gin.Context) {
	p, ok := load[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	var in profileInput
	if !decodeJSON(c, &in) || in.validate(false).answered(c) {
		return
	}
	setIf(&p.Email, in.Email)
	p.Fields = mergeFields(p.Fields, in.Fields)
	if in.Interests != nil {
		p.Interests = in.Interests
	}
	if err := s.Store.Save(c.Request.Context(), p); err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) deleteProfile(c *gin.Context) {
	p, ok := load[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	err := s.Store.Transaction(c.Request.Context(), func(tx *models.Store) error {
		return tx.DeleteProfile(c.Request.Context(), p.ID)
	})
	if err != nil {
		storeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func mergeFields(current, patch models.Fields) models.Fields {
	merged := models.Fields{}
	for k, v := range current {
		merged[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged
}

func orEmpty(f models.Fields) models.Fields {
	if f == nil {
		return models.Fields{}
	}
	return f
}

func orEmptyList[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
