package server

import "github.com/gin-gonic/gin"

// namedInput is the body of the resources that have nothing but a name:
// collections, accounts and API keys.
type namedInput struct {
	Name *string `json:"name"`
}

// decodeNamed reads a namedInput and checks its name: required when
// creating, optional (but not blank) when changing. It answers the problem
// itself and returns false when the body is not acceptable.
func decodeNamed(c *gin.Context, creating bool) (namedInput, bool) {
	var in namedInput
	if !decodeJSON(c, &in) {
		return in, false
	}
	var errs fieldErrors
	if creating {
		errs.requireText("name", in.Name, 255)
	} else {
		errs.text("name", in.Name, 255)
	}
	return in, !errs.answered(c)
}
