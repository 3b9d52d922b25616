package otp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"time"
)

// The TOTP parameters the gate uses for every device: 6 digits, 30 s
// steps, one step of drift either way.
const (
	Digits     = 6
	Period     = 30 * time.Second
	Drift      = 1
	SecretSize = 32
)

// Algorithm is the HMAC hash of a TOTP secret.
type Algorithm string

// The algorithms RFC 6238 names that the gate and the approver app speak.
const (
	SHA1   Algorithm = "SHA-1"
	SHA256 Algorithm = "SHA-256"
)

// DefaultAlgorithm is the one new enrolments get.
const DefaultAlgorithm = SHA256

func (a Algorithm) hash() (func() hash.Hash, error) {
	switch a {
	case SHA1:
		return sha1.New, nil
	case SHA256:
		return sha256.New, nil
	}
	return nil, fmt.Errorf("otp: unknown algorithm %q", a)
}

// NewSecret returns SecretSize random bytes for a new device.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// Step returns the RFC 6238 time step of t (T = floor(unix / 30)).
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// CodeAt returns the digits-long code of secret for time step step
// (RFC 4226 dynamic truncation of HMAC(secret, step)).
func CodeAt(secret []byte, alg Algorithm, step int64, digits int) (string, error) {
	h, err := alg.hash()
	if err != nil {
		return "", err
	}
	if digits < 6 || digits > 9 {
		return "", fmt.Errorf("otp: %d digits, want 6 to 9", digits)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(h, secret)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod), nil
}

// Code returns the 6-digit code of secret at time t.
func Code(secret []byte, alg Algorithm, t time.Time) (string, error) {
	return CodeAt(secret, alg, Step(t), Digits)
}

// Match reports the time step, within Drift steps of now, at which code
// is secret's code. The comparison takes the same time for every code of
// the right length. code must already be Digits digits (see ValidCode).
func Match(secret []byte, alg Algorithm, code string, now time.Time) (int64, bool) {
	step := Step(now)
	found, matched := int64(0), 0
	for d := -Drift; d <= Drift; d++ {
		want, err := CodeAt(secret, alg, step+int64(d), Digits)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && matched == 0 {
			found, matched = step+int64(d), 1
		}
	}
	return found, matched == 1
}

// ValidCode reports whether s has the shape of an offline code: exactly
// Digits ASCII digits.
func ValidCode(s string) bool {
	if len(s) != Digits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
