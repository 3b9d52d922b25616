package webhook

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length caps for attacker-controlled strings in payloads.
const (
	// MaxIdentifier caps identifiers such as emails, app ids and device ids.
	MaxIdentifier = 64
	// MaxUserAgent caps user-agent strings.
	MaxUserAgent = 256
	// MaxString caps every other string the encoder writes.
	MaxString = 1024
)

// Sanitize returns s made safe to hand to a receiver that renders it
// verbatim: invalid UTF-8 becomes U+FFFD, every rune for which
// unicode.IsPrint is false (control characters, ANSI escapes, bidi and
// zero-width format characters, U+2028 and U+2029, spaces other than
// U+0020) is removed, and the result holds at most max runes (no cap when
// max <= 0). The result is valid UTF-8 and Sanitize(Sanitize(s, n), n) ==
// Sanitize(s, n).
func Sanitize(s string, max int) string {
	if clean(s, max) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s { // invalid bytes come out as utf8.RuneError
		if max > 0 && n == max {
			break
		}
		if !unicode.IsPrint(r) {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// clean reports whether Sanitize would return s unchanged.
func clean(s string, max int) bool {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || !unicode.IsPrint(r) {
				return false
			}
			i += size
		}
		n++
		if max > 0 && n > max {
			return false
		}
	}
	return true
}
