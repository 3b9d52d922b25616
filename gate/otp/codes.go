package otp

import (
	"crypto/rand"
	"strings"
)

// The alphabet of recovery codes and access passes: digits and capitals
// without 0, 1, I and O, which read alike. 32 symbols, 5 bits each.
const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// Sizes of the typed codes, in symbols (dashes and spaces not counted).
const (
	// RecoveryCount is how many recovery codes a user gets at a time.
	RecoveryCount = 10
	// RecoveryLen symbols make a recovery code: 50 bits, shown XXXXX-XXXXX.
	RecoveryLen = 10
	// PassLen symbols make an access pass: 80 bits, shown XXXX-XXXX-XXXX-XXXX.
	PassLen = 16
)

// Kinds of typed code, as Classify tells them apart.
const (
	KindInvalid  = ""
	KindTOTP     = "totp"
	KindRecovery = "recovery"
	KindPass     = "pass"
)

// randomSymbols returns n symbols of the alphabet, uniformly drawn.
func randomSymbols(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = alphabet[b[i]&31] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

// group writes s in dash-separated groups of size.
func group(s string, size int) string {
	var parts []string
	for len(s) > size {
		parts = append(parts, s[:size])
		s = s[size:]
	}
	return strings.Join(append(parts, s), "-")
}

// NewRecoveryCodes returns RecoveryCount fresh codes, as shown to the user.
func NewRecoveryCodes() []string {
	codes := make([]string, RecoveryCount)
	for i := range codes {
		codes[i] = group(randomSymbols(RecoveryLen), 5)
	}
	return codes
}

// NewPass returns a fresh access pass, as shown to the operator.
func NewPass() string { return group(randomSymbols(PassLen), 4) }

// Normalize returns the symbols of a typed code: spaces and dashes
// dropped, letters in capitals.
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case 'a' <= r && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Classify says what a typed code is by its shape: six digits are an
// offline code, ten symbols of the alphabet a recovery code, sixteen an
// access pass; anything else is KindInvalid. It returns the normalised
// code too.
func Classify(typed string) (string, string) {
	if len(typed) > 64 {
		return KindInvalid, ""
	}
	n := Normalize(typed)
	if ValidCode(n) {
		return KindTOTP, n
	}
	for i := 0; i < len(n); i++ {
		if strings.IndexByte(alphabet, n[i]) < 0 {
			return KindInvalid, n
		}
	}
	switch len(n) {
	case RecoveryLen:
		return KindRecovery, n
	case PassLen:
		return KindPass, n
	}
	return KindInvalid, n
}
