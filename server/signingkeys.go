package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/signing"
)

// listSigningKeys publishes the public keys of v1a signatures, so
// receivers can verify requests without holding a shared secret.
func (s *Server) listSigningKeys(c *gin.Context) {
	keys := s.SigningKeys
	if keys == nil {
		keys = []signing.PublicKey{}
	}
	c.JSON(http.StatusOK, gin.H{"keys": keys})
}
