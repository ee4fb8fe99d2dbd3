package tracking

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestTokensRoundTrip(t *testing.T) {
	tokens := NewTokens("secret")
	for _, target := range []Target{
		{Kind: Open, MessageID: "msg_01abc"},
		{Kind: Click, MessageID: "msg_01abc", Link: 0},
		{Kind: Click, MessageID: "msg_01abc", Link: 7},
	} {
		got, err := tokens.Parse(tokens.Make(target))
		if err != nil || got != target {
			t.Errorf("Parse(Make(%+v)) = %+v, %v", target, got, err)
		}
	}
}

func TestTokensRefuseForgeries(t *testing.T) {
	tokens := NewTokens("secret")
	good := tokens.Make(Target{Kind: Click, MessageID: "msg_1", Link: 1})
	other := NewTokens("other").Make(Target{Kind: Click, MessageID: "msg_1", Link: 1})
	for name, token := range map[string]string{
		"other key":      other,
		"no dot":         "abc",
		"empty":          "",
		"bad base64":     "!!!.???",
		"tampered mac":   good[:len(good)-2] + "AA",
		"swapped parts":  good[len(good)/2:] + "." + good[:len(good)/2],
		"other spelling": otherSpelling(good),
	} {
		if _, err := tokens.Parse(token); err != ErrInvalidToken {
			t.Errorf("%s: Parse(%q) err = %v, want ErrInvalidToken", name, token, err)
		}
	}
}

// otherSpelling spells a token's MAC differently with the same bytes: its
// 16 bytes take 22 base64url characters, whose last has 4 unused bits that
// a lax decoder ignores.
func otherSpelling(token string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	spelled := token[:len(token)-1] + string(alphabet[last|1])
	payload, mac, _ := strings.Cut(spelled, ".")
	if a, err := base64.RawURLEncoding.DecodeString(mac); err != nil || len(a) != macSize || payload == "" {
		panic("otherSpelling: not a lax spelling of the same MAC")
	}
	return spelled
}
