package models

import (
	"strings"
	"unicode/utf8"
)

// FitText returns s cut to at most max bytes on a character boundary and
// made valid UTF-8, as stored text columns require.
func FitText(s string, max int) string {
	// Cut first, so a character split by the cut is dropped rather than
	// turned into a replacement character; cut again if replacements of
	// invalid bytes made the text longer.
	return cutAtRune(strings.ToValidUTF8(cutAtRune(s, max), "\uFFFD"), max)
}

// cutAtRune cuts s to at most max bytes without splitting a character.
func cutAtRune(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
