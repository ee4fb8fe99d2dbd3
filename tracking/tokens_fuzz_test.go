package tracking

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzTokensParse decodes each token under the key that signed the seeds
// and under another: Parse never panics, never accepts under both keys,
// and what it accepts has one spelling, the one Make gives.
func FuzzTokensParse(f *testing.F) {
	own, other := NewTokens("secret"), NewTokens("other")
	open := own.Make(Target{Kind: Open, MessageID: "msg_1"})
	click := own.Make(Target{Kind: Click, MessageID: "msg_1", Link: 3})
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		open, click, open + ".", "." + open, open + open, open + "=", strings.ToUpper(open), otherSpelling(open), otherSpelling(click),
		"", ".", "..", "a.b.c", "!!!.???", "\x00.\x00", "\xff\xfe.\xfd", b64([]byte("o:msg_1")) + ".", b64([]byte("c:msg_1:-1")) + ".",
		b64([]byte("c:msg_1:03")) + "." + b64(own.mac("c:msg_1:03")), b64([]byte("c:msg_1:+3")) + "." + b64(own.mac("c:msg_1:+3")),
		b64([]byte("c:msg_1:99999999999999999999")) + "." + b64(own.mac("c:msg_1:99999999999999999999")),
		b64([]byte("c:msg:1:2")) + "." + b64(own.mac("c:msg:1:2")), b64([]byte("x:msg_1")) + "." + b64(own.mac("x:msg_1")),
		b64([]byte("c:")) + "." + b64(own.mac("c:")), b64([]byte("o")) + "." + b64(own.mac("o")),
		strings.Repeat("A", 4097) + "." + strings.Repeat("A", 22),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		target, err := own.Parse(token)
		if _, otherErr := other.Parse(token); otherErr == nil && err == nil {
			t.Fatalf("%q is valid under two keys", token)
		}
		if err != nil {
			if err != ErrInvalidToken {
				t.Fatalf("Parse(%q) err = %v, want ErrInvalidToken", token, err)
			}
			return
		}
		if target.Kind != Open && target.Kind != Click || target.Link < 0 || target.Kind == Open && target.Link != 0 {
			t.Fatalf("Parse(%q) = %+v, not a target Make can spell", token, target)
		}
		if again := own.Make(target); again != token {
			t.Fatalf("Parse(%q) = %+v, whose token is %q: two spellings", token, target, again)
		}
	})
}

// FuzzTokensRoundTrip makes a token of any target and parses it back.
func FuzzTokensRoundTrip(f *testing.F) {
	for _, s := range []struct {
		click bool
		id    string
		link  int
	}{{false, "msg_1", 0}, {true, "msg_1", 7}, {true, "", 0}, {false, "a:b", 0}, {true, "a:b:c", 12}, {true, "m", -1}, {false, "\xff\x00.", 0}} {
		f.Add(s.click, s.id, s.link)
	}
	tokens := NewTokens("secret")
	f.Fuzz(func(t *testing.T, click bool, id string, link int) {
		target := Target{Kind: Open, MessageID: id}
		if click {
			target.Kind, target.Link = Click, link
		}
		got, err := tokens.Parse(tokens.Make(target))
		switch {
		case click && link < 0:
			if err == nil {
				t.Fatalf("a click on link %d parsed as %+v", link, got)
			}
		case err != nil || got != target:
			t.Fatalf("Parse(Make(%+v)) = %+v, %v", target, got, err)
		}
	})
}
