package server

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/http/httpguts"

	"github.com/hookflow/hookflow/models"
)

// fieldErrors collects validation failures of one request.
type fieldErrors []FieldError

func (e *fieldErrors) add(field, reason string) { *e = append(*e, FieldError{field, reason}) }

func (e *fieldErrors) requireText(field string, v *string, max int) {
	switch {
	case v == nil:
		e.add(field, "is required")
	default:
		e.text(field, v, max)
	}
}

// text checks an optional string: non-blank when given, at most max characters.
func (e *fieldErrors) text(field string, v *string, max int) {
	if v == nil {
		return
	}
	if strings.TrimSpace(*v) == "" {
		e.add(field, "must not be blank")
	} else if utf8.RuneCountInString(*v) > max {
		e.add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// rfc3339 reads a time given as text, in UTC; a bad one is the field's error.
func (e *fieldErrors) rfc3339(field, raw string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		e.add(field, "must be an RFC 3339 time like 2026-12-01T09:30:00Z")
		return time.Time{}, false
	}
	return t.UTC(), true
}

// optionalText checks a string that may be empty.
func (e *fieldErrors) optionalText(field string, v *string, max int) {
	if v != nil && utf8.RuneCountInString(*v) > max {
		e.add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

func (e *fieldErrors) email(field string, v *string) {
	if v == nil {
		return
	}
	addr, err := mail.ParseAddress(*v)
	if err != nil || addr.Address != *v || len(*v) > 320 || strings.IndexFunc(*v, invisible) >= 0 {
		e.add(field, "must be a plain e-mail address like name@example.com")
	}
}

// headers checks a webhook's custom headers: how many, names that are
// HTTP tokens given once (whatever their case) and not hookflow's own,
// values that fit in a header line.
func (e *fieldErrors) headers(field string, h map[string]string) {
	if len(h) > models.MaxWebhookHeaders {
		e.add(field, fmt.Sprintf("must have at most %d headers", models.MaxWebhookHeaders))
		return
	}
	seen := map[string]string{}
	for name, value := range h {
		at := field + "." + name
		switch lower := strings.ToLower(name); {
		case !httpguts.ValidHeaderFieldName(name):
			e.add(at, "must be a header name: letters, digits and !#$%&'*+-.^_`|~")
		case models.ReservedHeader(name):
			e.add(at, "is set by hookflow itself (webhook-*, Hookflow-*, Content-*, Host, User-Agent and the connection's own headers cannot be replaced)")
		case seen[lower] != "":
			e.add(at, fmt.Sprintf("is given twice (as %q too); header names are case-insensitive", seen[lower]))
		default:
			seen[lower] = name
		}
		switch {
		case value == "" || strings.TrimSpace(value) != value:
			e.add(at, "must have a value without leading or trailing spaces")
		case len(value) > models.MaxWebhookHeaderValue:
			e.add(at, fmt.Sprintf("must be at most %d bytes", models.MaxWebhookHeaderValue))
		case !httpguts.ValidHeaderFieldValue(value):
			e.add(at, "must not contain control characters")
		}
	}
}

// invisible reports characters that show as nothing, as a space, or turn
// the text around (U+200B, U+3000, U+202E): an address holding one looks
// like another address, so it is refused.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || !unicode.IsGraphic(r) // Cf, Cc, Co, Cs, unassigned; spaces of every width
}

func (e *fieldErrors) tags(field string, tags []string) {
	if len(tags) > 100 {
		e.add(field, "must have at most 100 tags")
	} else {
		e.storedJSON(field, tags)
	}
	for i, t := range tags {
		if strings.TrimSpace(t) == "" || utf8.RuneCountInString(t) > 255 {
			e.add(fmt.Sprintf("%s[%d]", field, i), "must be 1 to 255 characters")
		}
	}
}

// fields checks free-form data: its keys, and how deep it nests.
func (e *fieldErrors) fields(field string, f map[string]any) {
	for k := range f {
		if strings.TrimSpace(k) == "" || utf8.RuneCountInString(k) > 255 {
			e.add(field, fmt.Sprintf("key %q must be 1 to 255 characters", k))
		}
	}
	if nestsDeeper(f, maxFieldsDepth) {
		e.add(field, fmt.Sprintf("must nest at most %d levels of objects and arrays", maxFieldsDepth))
	}
}

// maxFieldsDepth is how deep free-form data may nest, counting its own
// object. Whatever is stored must decode again, and events carry the data
// a few levels further down (a profile's fields in data.after.fields):
// encoding/json refuses to read past 10,000 levels, and one unreadable
// event must never be stored in the first place.
const maxFieldsDepth = 32

// nestsDeeper reports whether v has more than levels levels of objects and
// arrays. It stops looking as soon as it knows.
func nestsDeeper(v any, levels int) bool {
	switch v := v.(type) {
	case map[string]any:
		if levels == 0 {
			return true
		}
		for _, x := range v {
			if nestsDeeper(x, levels-1) {
				return true
			}
		}
	case []any:
		if levels == 0 {
			return true
		}
		for _, x := range v {
			if nestsDeeper(x, levels-1) {
				return true
			}
		}
	}
	return false
}

// maxStoredJSON is what a JSON-serialized column holds: MySQL's TEXT is
// 65,535 bytes. Larger values would fail at the database (503) instead of
// being refused here.
const maxStoredJSON = 65535

// storedJSON checks v fits its column as it is stored: json.Marshal, which
// writes <, > and & as six-byte escapes.
func (e *fieldErrors) storedJSON(field string, v any) {
	if b, err := json.Marshal(v); err != nil || len(b) > maxStoredJSON {
		e.add(field, fmt.Sprintf("must be at most %d bytes when stored as JSON", maxStoredJSON))
	}
}

// mergedFieldsFit answers 422 when fields merged by a PATCH no longer fit
// their column, though the patch alone did.
func mergedFieldsFit(c *gin.Context, f map[string]any) bool {
	var errs fieldErrors
	errs.storedJSON("fields", f)
	return !errs.answered(c)
}

// answered reports whether any check failed, after answering 422 with all of them.
func (e fieldErrors) answered(c *gin.Context) bool {
	if len(e) == 0 {
		return false
	}
	invalid(c, e...)
	return true
}
