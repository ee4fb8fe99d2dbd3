package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// decodeJSON reads the request body into v strictly: a JSON object, no
// unknown fields, nothing after it. It answers the problem itself and
// returns false when the body is not acceptable.
func decodeJSON(c *gin.Context, v any) bool {
	// A body without a Content-Type is refused too: guessing what a client
	// meant is how a form post or a typo ends up read as JSON.
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		abortProblem(c, http.StatusUnsupportedMediaType, "send the body as application/json, with the header Content-Type: application/json")
		return false
	}
	body, ok := readBody(c)
	if !ok {
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		abortProblem(c, http.StatusBadRequest, "the body must be a JSON object")
		return false
	}
	if bad := decodeStrictly(body, v); bad != nil {
		abortProblem(c, http.StatusBadRequest, "malformed JSON", *bad)
		return false
	}
	return true
}

// decodeStrictly decodes one JSON value into v with no unknown fields and
// nothing after it, or names what is wrong.
func decodeStrictly(data []byte, v any) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		bad := jsonFieldError(err)
		return &bad
	}
	// More would miss a stray '}' or ']'; only the end of input is acceptable.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &FieldError{Field: "body", Reason: "unexpected data after the JSON object"}
	}
	return checkExactNames(data, v)
}

// jsonFieldError turns a decoding error into the field it is about.
func jsonFieldError(err error) FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return FieldError{Field: field, Reason: "must be " + jsonKind(typeErr.Type.Kind().String())}
	case errors.As(err, &syntaxErr):
		return FieldError{Field: "body", Reason: fmt.Sprintf("%s at byte %d", syntaxErr.Error(), syntaxErr.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return FieldError{Field: name, Reason: "unknown field"}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return FieldError{Field: "body", Reason: "unexpected end of JSON"}
	}
	return FieldError{Field: "body", Reason: err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return "of type " + goKind
}

// readBody reads the whole request body, answering 413 or 400 itself when
// it is too large or cannot be read.
func readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			abortProblem(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
			return nil, false
		}
		abortProblem(c, http.StatusBadRequest, "could not read the body: "+err.Error())
		return nil, false
	}
	return body, true
}
