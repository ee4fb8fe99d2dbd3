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
	errs.storedJSON("fields", in.Fields)
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
		Owned:      db.Owned,
		DatabaseID: db.ID,
		Email:      *in.Email,
		Fields:     orEmpty(in.Fields),
		Interests:  orEmptyList(in.Interests),
	}
	e := profileEvent(models.EventProfileCreate, &p, nil, p.Snapshot())
	if s.writeWithEvent(c, e, func(tx *models.Store) error { return tx.Create(c.Request.Context(), &p) }) {
		respondTagged(c, http.StatusCreated, &p)
	}
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
		respondTagged(c, http.StatusOK, p)
	}
}

// updateProfile changes the given parts; fields are merged key by key and
// a key set to null is removed, as customers expect from a PATCH.
func (s *Server) updateProfile(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	var in profileInput
	if !decodeJSON(c, &in) || in.validate(false).answered(c) {
		return
	}
	var ann announcement
	p, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		func(_ *models.Store, p *models.Profile) (models.Change, error) { return in.change(c, p) },
		func(tx *models.Store, before, after *models.Profile) error {
			return ann.store(c, tx, profileEvent(models.EventProfileUpdate, after, before.Snapshot(), after.Snapshot()))
		})
	if err != nil {
		writeFailed(c, "profile", current.ID, err)
		return
	}
	s.dispatch(ann.event)
	respondTagged(c, http.StatusOK, p)
}

// change is what a PATCH writes to the profile p as it was read: the parts
// it names, with fields merged into p's. It holds only while p is still at
// the version read, so a concurrent PATCH of other keys is never undone
// and the event's snapshots are exactly this change.
func (in *profileInput) change(c *gin.Context, p *models.Profile) (models.Change, error) {
	change := models.Change{}.AtVersion(p.Version)
	if in.Email != nil {
		change = change.Set("email", *in.Email)
	}
	if in.Fields != nil {
		merged := mergeFields(p.Fields, in.Fields)
		if !mergedFieldsFit(c, merged) {
			return change, errAnswered
		}
		change = change.SetJSON("fields", merged)
	}
	if in.Interests != nil {
		change = change.SetJSON("interests", in.Interests)
	}
	return change, nil
}

func (s *Server) deleteProfile(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Profile](c, s.Store, "profile")
	if !ok {
		return
	}
	var ann announcement
	_, err := s.Store.DeleteProfile(c.Request.Context(), current.AccountID, current.ID, pre,
		func(tx *models.Store, p *models.Profile) error {
			return ann.store(c, tx, profileEvent(models.EventProfileDelete, p, p.Snapshot(), nil))
		})
	if err != nil {
		writeFailed(c, "profile", current.ID, err)
		return
	}
	s.dispatch(ann.event)
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
