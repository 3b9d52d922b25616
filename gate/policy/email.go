package policy

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxEmailLength is the longest address accepted (RFC 5321's path limit).
const MaxEmailLength = 254

// CanonicalEmail returns the form of an address that every comparison,
// limit and store key uses: trimmed, lower-cased and in Unicode
// normalization form C, so that one address typed with a composed é or
// with e and a combining accent is one person.
func CanonicalEmail(s string) string {
	return norm.NFC.String(strings.ToLower(strings.TrimSpace(s)))
}

// CanonicalDomain returns an allowed domain as the domain of a
// CanonicalEmail compares (a leading "@" dropped), and whether it is one
// an address can have: dotted labels of letters, digits and hyphens, no
// empty label and no label that starts or ends with a hyphen. A domain
// that is not one would never match, so it is refused instead.
func CanonicalDomain(s string) (string, bool) {
	d := strings.TrimPrefix(CanonicalEmail(s), "@")
	if !ValidEmail("x@"+d) || len(d) > 253 {
		return d, false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return d, false
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
				return d, false
			}
		}
	}
	return d, true
}

// ValidEmail reports whether a canonical address is acceptable: one "@"
// with a non-empty local part and a dotted domain, valid UTF-8, at most
// MaxEmailLength bytes, and no spaces, control characters, double quotes,
// angle brackets or braces. An apostrophe is allowed, as RFC 5322's
// dot-atom allows it and real addresses have it (o'brien@example.com).
func ValidEmail(s string) bool {
	if len(s) == 0 || len(s) > MaxEmailLength || !utf8.ValidString(s) {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	if len(domain) < 3 || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) || strings.ContainsRune(`"<>{}()[]\,;:`, r) {
			return false
		}
	}
	return true
}
