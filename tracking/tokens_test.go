package tracking

import "testing"

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
		"other key":     other,
		"no dot":        "abc",
		"empty":         "",
		"bad base64":    "!!!.???",
		"tampered mac":  good[:len(good)-2] + "AA",
		"swapped parts": good[len(good)/2:] + "." + good[:len(good)/2],
	} {
		if _, err := tokens.Parse(token); err != ErrInvalidToken {
			t.Errorf("%s: Parse(%q) err = %v, want ErrInvalidToken", name, token, err)
		}
	}
}
