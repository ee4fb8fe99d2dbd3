package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/models"
)

// Every resource answers with an ETag, and a PATCH or DELETE with If-Match
// changes it only while it is still at one of the listed tags (RFC 9110
// 13.1.1), else 412. The tags are strong: If-Match compares strongly, so a
// weak tag could never match it, and a resource's representation is
// exactly determined by its row version (or, for what never changes, by
// its content). They are opaque: "v" and the version, quoted.

// tagged is a resource whose row version is its ETag.
type tagged interface{ RowVersion() int64 }

func versionTag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// respondTagged answers body with its ETag.
func respondTagged(c *gin.Context, status int, body tagged) {
	c.Header("ETag", versionTag(body.RowVersion()))
	c.JSON(status, body)
}

// respondContentTagged answers body with an ETag made of its bytes, for
// resources that never change once created.
func respondContentTagged(c *gin.Context, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		_ = c.Error(err)
		abortProblem(c, http.StatusInternalServerError, "internal error")
		return
	}
	sum := sha256.Sum256(data)
	c.Header("ETag", `"`+base64.RawURLEncoding.EncodeToString(sum[:18])+`"`)
	c.Data(status, "application/json; charset=utf-8", data)
}

// loadForWrite loads the T a PATCH or DELETE names, as load does, and
// evaluates its If-Match (ifMatch). The precondition it returns goes with
// the write too, which checks it again as it writes.
func loadForWrite[T tagged](c *gin.Context, store *models.Store, what string) (*T, models.Precondition, bool) {
	v, ok := load[T](c, store, what)
	if !ok {
		return nil, models.Precondition{}, false
	}
	pre, ok := ifMatch(c, what, c.Param("id"), (*v).RowVersion())
	return v, pre, ok
}

// ifMatch reads the request's If-Match and evaluates it against the
// resource's current version: 400 when it is malformed, 412 when it does
// not match. It runs once the resource is known to exist (404 comes
// first) and before the body is read, as RFC 9110 13.2.2 orders it.
// Without If-Match, or with "*" (any current representation), the
// precondition asks nothing.
func ifMatch(c *gin.Context, what, id string, current int64) (models.Precondition, bool) {
	values := c.Request.Header.Values("If-Match")
	if len(values) == 0 {
		return models.Precondition{}, true
	}
	versions, star, ok := parseIfMatch(strings.Join(values, ","))
	if !ok {
		abortProblem(c, http.StatusBadRequest, `If-Match must be "*" or a list of entity tags, each in double quotes, such as `+versionTag(current))
		return models.Precondition{}, false
	}
	if star {
		return models.Precondition{}, true
	}
	pre := models.AtVersions(versions...)
	if !pre.Allows(current) {
		preconditionFailed(c, what, id)
		return pre, false
	}
	return pre, true
}

func preconditionFailed(c *gin.Context, what, id string) {
	abortProblem(c, http.StatusPreconditionFailed, what+" "+id+" changed since the ETag in If-Match; GET it again for its current ETag")
}

// parseIfMatch reads an If-Match field value: "*", or a comma-separated
// list of entity tags. It returns the versions of this server's strong
// tags among them; weak tags and tags not made here match nothing.
func parseIfMatch(value string) (versions []int64, star bool, ok bool) {
	if strings.TrimSpace(value) == "*" {
		return nil, true, true
	}
	rest := value
	tags := 0
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			return versions, false, tags > 0
		}
		weak := strings.HasPrefix(rest, "W/")
		if weak {
			rest = rest[2:]
		}
		if !strings.HasPrefix(rest, `"`) {
			return nil, false, false
		}
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, false, false
		}
		opaque := rest[1 : 1+end]
		for _, b := range []byte(opaque) {
			if b < 0x21 || b == 0x7f { // etagc: %x21 / %x23-7E / obs-text
				return nil, false, false
			}
		}
		rest = rest[2+end:]
		if after := strings.TrimLeft(rest, " \t"); after != "" && after[0] != ',' {
			return nil, false, false
		}
		tags++
		if digits, ours := strings.CutPrefix(opaque, "v"); ours && !weak {
			if v, err := strconv.ParseInt(digits, 10, 64); err == nil && strconv.FormatInt(v, 10) == digits {
				versions = append(versions, v)
			}
		}
	}
}
