package models

import (
	"strings"
	"unicode"
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

// Visible drops the characters that show nothing: Unicode's format
// characters (class Cf) — zero-width spaces and joiners, the byte-order mark
// a file or a paste brings, soft hyphens, direction overrides. A name with
// one is the same name to whoever reads it, and must be to the directory
// too; a title with a right-to-left override would read backwards on every
// screen. (An emoji joined by a zero-width joiner falls apart into its
// parts, which official text can spare.) It is the one place such
// characters are dropped from what people type.
func Visible(s string) string {
	if !strings.ContainsFunc(s, isFormat) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isFormat(r) {
			return -1
		}
		return r
	}, s)
}

func isFormat(r rune) bool { return r >= 0x80 && unicode.Is(unicode.Cf, r) }

// IsInvisible reports a character Visible drops.
func IsInvisible(r rune) bool { return isFormat(r) }
