package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

func (s *Server) createCollection(c *gin.Context) {
	db, ok := load[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	in, ok := decodeNamed(c, true)
	if !ok {
		return
	}
	col := models.Collection{ID: models.NewID(models.PrefixCollection), Owned: db.Owned, DatabaseID: db.ID, Name: *in.Name}
	if err := s.Store.Create(c.Request.Context(), &col); err != nil {
		storeError(c, err)
		return
	}
	respondTagged(c, http.StatusCreated, &col)
}

func (s *Server) listCollections(c *gin.Context) {
	db, ok := load[models.Database](c, s.Store, "database")
	if !ok {
		return
	}
	respondList(c, []models.Filter{models.Where("database_id = ?", db.ID)}, same[models.Collection], s.Store)
}

func (s *Server) getCollection(c *gin.Context) {
	if col, ok := load[models.Collection](c, s.Store, "collection"); ok {
		respondTagged(c, http.StatusOK, col)
	}
}

func (s *Server) updateCollection(c *gin.Context) {
	current, pre, ok := loadForWrite[models.Collection](c, s.Store, "collection")
	if !ok {
		return
	}
	in, ok := decodeNamed(c, false)
	if !ok {
		return
	}
	var change models.Change
	if in.Name != nil {
		change = change.Set("name", *in.Name)
	}
	col, err := models.ReviseOwned(c.Request.Context(), s.Store, current.AccountID, current.ID, pre,
		fixedChange[models.Collection](change), nil)
	if err != nil {
		writeFailed(c, "collection", current.ID, err)
		return
	}
	respondTagged(c, http.StatusOK, col)
}

func (s *Server) deleteCollection(c *gin.Context) {
	col, pre, ok := loadForWrite[models.Collection](c, s.Store, "collection")
	if !ok || s.refuseLinkedWebhooks(c, "collection_id", col.ID) {
		return
	}
	if err := s.Store.DeleteCollection(c.Request.Context(), col.AccountID, col.ID, pre); err != nil {
		writeFailed(c, "collection", col.ID, err)
		return
	}
	c.Status(http.StatusNoContent)
}
