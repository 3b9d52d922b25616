package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"math/big"
)

// NewID returns 128 random bits, base64url without padding: the form of
// login and session ids. An id never starts with "-", so a command line
// never takes one for a flag (a draw that would is drawn again).
func NewID() string {
	for {
		if id := randomString(16); id[0] != '-' {
			return id
		}
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// numberChoices returns the two-digit code and three distinct two-digit
// numbers in random order, the code among them.
func numberChoices() (int, []int) {
	pick := func() int {
		n, _ := rand.Int(rand.Reader, big.NewInt(90))
		return int(n.Int64()) + 10
	}
	code := pick()
	choices := []int{code}
	for len(choices) < 3 {
		n := pick()
		if n != choices[0] && (len(choices) < 2 || n != choices[1]) {
			choices = append(choices, n)
		}
	}
	j, _ := rand.Int(rand.Reader, big.NewInt(3))
	choices[0], choices[j.Int64()] = choices[j.Int64()], choices[0]
	return code, choices
}

// hashBinding returns the hex SHA-256 of a browser-binding secret; the
// store keeps only this.
func hashBinding(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// BindingMatches compares a presented binding secret with a stored hash in
// constant time.
func BindingMatches(secret, hash string) bool {
	if secret == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashBinding(secret)), []byte(hash)) == 1
}
