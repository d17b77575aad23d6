package models

import (
	"strings"
	"unicode/utf8"
)

// Truncate cuts s to at most max bytes, never inside a character, and ends
// a cut string with tail (which counts toward max). Bytes that are not
// UTF-8 become "?" first. It is the one place hazardbot shortens text to a
// byte limit — a column's size, WeCom's 2,048-byte message — so strict
// MySQL never receives half a character.
func Truncate(s string, max int, tail string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if len(s) <= max {
		return s
	}
	if len(tail) > max {
		tail = ""
	}
	cut := max - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}
