// Package text cleans strings that clients send before they are stored
// or shown: device names, user agents, app ids, refusal reasons.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean returns s without invalid UTF-8 and without runes for which
// unicode.IsPrint is false (control characters, terminal escapes, bidi
// and zero-width format characters, line separators), cut to at most max
// runes. A genuine U+FFFD in s is kept.
func Clean(s string, max int) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n == max {
			break
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				continue // an invalid byte, not a real U+FFFD
			}
		}
		if !unicode.IsPrint(r) {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
