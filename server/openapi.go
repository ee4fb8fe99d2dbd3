package server

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPISpec is the API description, kept in the repo beside the code
// and checked against the routes by a test.
//
//go:embed openapi.json
var openAPISpec []byte

func serveOpenAPI(c *gin.Context) { c.Data(http.StatusOK, "application/json", openAPISpec) }
