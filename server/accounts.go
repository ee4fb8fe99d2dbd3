package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// The operator's routes: accounts and their API keys. Every route here is
// behind requireOperator.

// newAPIKeyView is the one answer that carries the key itself.
type newAPIKeyView struct {
	*models.APIKey
	Key string `json:"key"`
}

func (s *Server) routeAccounts(accounts *gin.RouterGroup) {
	accounts.POST("", s.createAccount)
	accounts.GET("", s.listAccounts)
	accounts.GET("/:id", s.getAccount)
	accounts.PATCH("/:id", s.updateAccount)
	accounts.DELETE("/:id", s.deleteAccount)
	accounts.POST("/:id/keys", s.createAPIKey)
	accounts.GET("/:id/keys", s.listAPIKeys)
	accounts.DELETE("/:id/keys/:key_id", s.revokeAPIKey)
}

func (s *Server) createAccount(c *gin.Context) {
	in, ok := decodeNamed(c, true)
	if !ok {
		return
	}
	a := models.Account{ID: models.NewID(models.PrefixAccount), Name: *in.Name}
	if err := s.Store.Create(c.Request.Context(), &a); err != nil {
		storeError(c, err)
		return
	}
	respondTagged(c, http.StatusCreated, &a)
}

func (s *Server) listAccounts(c *gin.Context) {
	respondPage(c, nil, same[models.Account], s.Store)
}

func (s *Server) getAccount(c *gin.Context) {
	if a, ok := loadAccount(c, s.Store); ok {
		respondTagged(c, http.StatusOK, a)
	}
}

func (s *Server) updateAccount(c *gin.Context) {
	current, pre, ok := loadAccountForWrite(c, s.Store)
	if !ok {
		return
	}
	in, ok := decodeNamed(c, false)
	if !ok {
		return
	}
	a, err := s.Store.RenameAccount(c.Request.Context(), current.ID, in.Name, pre)
	if err != nil {
		writeFailed(c, "account", current.ID, err)
		return
	}
	respondTagged(c, http.StatusOK, a)
}

// deleteAccount removes an account with everything it owns and stops its
// webhooks' workflows; deliveries in flight find their webhook gone and
// send nothing more.
func (s *Server) deleteAccount(c *gin.Context) {
	a, pre, ok := loadAccountForWrite(c, s.Store)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	webhooks, err := s.Store.AccountWebhookIDs(ctx, a.ID)
	if err == nil {
		err = s.Store.DeleteAccount(ctx, a.ID, pre)
	}
	switch {
	case errors.Is(err, models.ErrDefaultAccount):
		abortProblem(c, http.StatusConflict, err.Error())
		return
	case err != nil:
		writeFailed(c, "account", a.ID, err)
		return
	}
	for _, id := range webhooks {
		s.stopVerification(c, id)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) createAPIKey(c *gin.Context) {
	a, ok := loadAccount(c, s.Store)
	if !ok {
		return
	}
	in, ok := decodeNamed(c, true)
	if !ok {
		return
	}
	key, secret, err := s.Store.NewAPIKey(c.Request.Context(), a.ID, *in.Name)
	if err != nil {
		storeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, newAPIKeyView{APIKey: key, Key: secret})
}

func (s *Server) listAPIKeys(c *gin.Context) {
	if a, ok := loadAccount(c, s.Store); ok {
		respondPage(c, []models.Filter{models.InAccount(a.ID)}, same[models.APIKey], s.Store)
	}
}

// revokeAPIKey deletes a key; the next request made with it is refused.
func (s *Server) revokeAPIKey(c *gin.Context) {
	a, ok := loadAccount(c, s.Store)
	if !ok {
		return
	}
	err := models.DeleteOwned[models.APIKey](c.Request.Context(), s.Store, a.ID, c.Param("key_id"))
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, "API key", c.Param("key_id"))
		return
	}
	if err != nil {
		storeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// loadAccount fetches the account named by :id, answering 404 itself.
func loadAccount(c *gin.Context, store *models.Store) (*models.Account, bool) {
	a, err := models.Get[models.Account](c.Request.Context(), store, c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		notFound(c, "account", c.Param("id"))
		return nil, false
	}
	if err != nil {
		storeError(c, err)
		return nil, false
	}
	return a, true
}

// loadAccountForWrite is loadAccount for a PATCH or DELETE: it also
// evaluates the request's If-Match (see ifMatch).
func loadAccountForWrite(c *gin.Context, store *models.Store) (*models.Account, models.Precondition, bool) {
	a, ok := loadAccount(c, store)
	if !ok {
		return nil, models.Precondition{}, false
	}
	pre, ok := ifMatch(c, "account", a.ID, a.Version)
	return a, pre, ok
}
