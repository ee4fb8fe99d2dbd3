// Package tracking makes and checks the signed tokens in open-pixel and
// click URLs, so a hit can be traced to its message and link and nobody
// can forge one or turn a click URL into an open redirect.
package tracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Kind says whether a token is an open pixel or a click.
type Kind string

const (
	Open  Kind = "o"
	Click Kind = "c"
)

// Target is what a token points at. Link is the link's position in the
// message; it is meaningful for clicks only.
type Target struct {
	Kind      Kind
	MessageID string
	Link      int
}

// ErrInvalidToken is returned for malformed or forged tokens.
var ErrInvalidToken = errors.New("invalid tracking token")

// Tokens signs and verifies tracking tokens with one HMAC key.
type Tokens struct{ key []byte }

// NewTokens uses secret as the HMAC-SHA256 key.
func NewTokens(secret string) Tokens { return Tokens{key: []byte(secret)} }

const macSize = 16 // 128 bits is plenty to stop forgery and keeps URLs short

// Make returns the token for a target.
func (t Tokens) Make(target Target) string {
	payload := string(target.Kind) + ":" + target.MessageID
	if target.Kind == Click {
		payload += ":" + strconv.Itoa(target.Link)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(t.mac(payload))
}

// Parse verifies a token and returns its target.
func (t Tokens) Parse(token string) (Target, error) {
	encPayload, encMAC, ok := strings.Cut(token, ".")
	if !ok || !base64URL(encPayload) || !base64URL(encMAC) {
		return Target{}, ErrInvalidToken
	}
	// Strict: a token has one spelling, so the unused bits of its last
	// character must be zero. (The decoder skips CR and LF even so, hence
	// the alphabet check above.)
	payload, err1 := base64.RawURLEncoding.Strict().DecodeString(encPayload)
	mac, err2 := base64.RawURLEncoding.Strict().DecodeString(encMAC)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, t.mac(string(payload))) {
		return Target{}, ErrInvalidToken
	}
	// The message id is everything between the kind and, for a click, the
	// last colon, so that Parse undoes Make for any id; the link has one
	// spelling too ("7", never "07" or "+7").
	kind, rest, ok := strings.Cut(string(payload), ":")
	switch {
	case !ok:
		return Target{}, ErrInvalidToken
	case Kind(kind) == Open:
		return Target{Kind: Open, MessageID: rest}, nil
	case Kind(kind) == Click:
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			return Target{}, ErrInvalidToken
		}
		link, err := strconv.Atoi(rest[i+1:])
		if err != nil || link < 0 || strconv.Itoa(link) != rest[i+1:] {
			return Target{}, ErrInvalidToken
		}
		return Target{Kind: Click, MessageID: rest[:i], Link: link}, nil
	}
	return Target{}, ErrInvalidToken
}

func (t Tokens) mac(payload string) []byte {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte(payload))
	return h.Sum(nil)[:macSize]
}

// base64URL reports whether s holds only characters of the unpadded
// base64url alphabet.
func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
