package models

import (
	"strings"

	"github.com/oklog/ulid/v2"
)

// ID prefixes name the type of every identifier we hand out, so an id read
// in a log or a URL says what it points to.
const (
	PrefixDatabase   = "db_"
	PrefixCollection = "col_"
	PrefixProfile    = "prf_"
	PrefixSubprofile = "sub_"
	PrefixMessage    = "msg_"
	PrefixLink       = "lnk_"
	PrefixEvent      = "evt_"
	PrefixWebhook    = "wh_"
	PrefixDelivery   = "dlv_"
	PrefixAttempt    = "att_"
	PrefixAccount    = "acc_"
	PrefixAPIKey     = "apk_"
	// PrefixTest names a test request (webhook-id and sample event id
	// alike), so receivers can tell it from a delivery; it is never stored.
	PrefixTest     = "test_"
	PrefixRecovery = "rec_"
)

// NewID returns a prefixed, time-ordered identifier. ULIDs sort by creation
// time, which is what keyset pagination over ids relies on.
func NewID(prefix string) string {
	return prefix + strings.ToLower(ulid.Make().String())
}

// HasPrefix reports whether id is of the type named by prefix.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix) && len(id) > len(prefix)
}
