package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

type databaseInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (in *databaseInput) validate(creating bool) fieldErrors {
	var errs fieldErrors
	if creating {
		errs.requireText("name", in.Name, 255)
	} else {
		errs.text("name", in.Name, 255)
	}
	errs.optionalText("description", in.Description, 1024)
	return errs
}

func (in *databaseInput) apply(db *models.Database) {
	setIf(&db.Name, in.Name)
	setIf(&db.Description, in.Description)
}

// change is what a PATCH writes: the columns it names.
func (in *databaseInput) change() models.Change {
	var c models.Change
	if in.Name != nil {
		c = c.Set("name", *in.Name)
	}
	if in.Description != nil {
		c = c.Set("description", *in.Description)
	}
	return c
}

func (s *Server) routeAudience(v1 *gin.RouterGroup) {
	v1.POST("/databases", s.createDatabase)
	v1.GET("/databases", s.listDatabases)
	v1.GET("/databases/:id", s.getDatabase)
	v1.PATCH("/databases/:id", s.updateDatabase)
	v1.DELETE("/databases/:id", s.deleteDatabase)
	v1.POST("/databases/:id/collections", s.createCollection)
	v1.GET("/databases/:id/collections", s.listCollections)
	v1.GET("/collections/:id", s.getCollection)
	v1.PATCH("/collections/:id", s.updateCollection)
	v1.DELETE("/collections/:id", s.deleteCollection)
	v1.POST("/databases/:id/profiles", s.createProfile)
	v1.GET("/databases/:id/profiles", s.listProfiles)
	v1.GET("/profiles/:id", s.getProfile)
	v1.PATCH("/profiles/:id", s.updateProfile)
	v1.DELETE("/profiles/:id", s.deleteProfile)
	v1.POST("/profiles/:id/subprofiles", s.createSubprofile)
	v1.GET("/profiles/:id/subprofiles", s.listSubprofiles)
	v1.GET("/subprofiles/:id", s.getSubprofile)
	v1.PATCH("/subprofiles/:id", s.updateSubprofile)
	v1.DELETE("/subprofiles/:id", s.deleteSubprofile)
}

func (s *Server) createDatabase(c *gin.Context) {
	var in databaseInput
	if !decodeJSON(c, &in) || in.validate(true).answered(c) {
		return
	}
	db := models.Database{ID: models.NewID(models.PrefixDatabase), Owned: owned(c)}
	in.apply(&db)
	if err := s.Store.Create(c.Request.Context(), &db); err != nil {
		storeError(c, err)
		return
	}
	respondTagged(c, http.StatusCreated, &db)
}

func (s *Server) listDatabases(c *gin.Context) {
	respondList(c, nil, same[models.Database], s.Store)
}

func (s *Server) getDatabase(c *gin.Context) {
	if db, ok := load[models.Database](c, s.Store, "database"); ok {
		respondTagged(c, http.StatusOK, db)
	}
}

func (s *Server) updateDatabase(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	var in databaseInput
	if !decodeJSON(c, &in) || in.validate(false).answered(c) {
		return
	}
	db, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		fixedChange[models.Database](in.change()), nil)
	if err != nil {
		writeFailed(c, "database", current.ID, err)
		return
	}
	respondTagged(c, http.StatusOK, db)
}

// deleteDatabase removes a database with all its audience data. Webhooks
// linked to it must be deleted or relinked first: silently widening or
// dropping a customer's webhook would surprise them.
func (s *Server) deleteDatabase(c *gin.Context) {
	db, pre, ok := loadForWrite[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	if s.refuseLinkedWebhooks(c, "database_id", db.ID) {
		return
	}
	if err := s.Store.DeleteDatabase(c.Request.Context(), db.AccountID, db.ID, pre); err != nil {
		writeFailed(c, "database", db.ID, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// refuseLinkedWebhooks answers 409 when webhooks are linked to the scope.
func (s *Server) refuseLinkedWebhooks(c *gin.Context, column, id string) bool {
	n, err := s.Store.CountWebhooksLinkedTo(c.Request.Context(), column, id)
	if err != nil {
		storeError(c, err)
		return true
	}
	if n > 0 {
		abortProblem(c, http.StatusConflict, "webhooks are still linked to it; delete them or change their scope first")
		return true
	}
	return false
}

// same is the identity view, for models whose stored shape is their API shape.
func same[T any](v *T) *T { return v }

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
