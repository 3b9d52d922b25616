package apikey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/authgate/authgate/gate/token"
)

// Prefix starts every key, so secret scanners and people can tell one.
const Prefix = "ag_"

// The parts of a key, in base64url characters.
const (
	idLen     = 16 // 12 random bytes
	secretLen = 43 // 32 random bytes
	// KeyLen is the length of a whole key string.
	KeyLen = len(Prefix) + idLen + secretLen
)

// revocationPrefix starts a key's id in the shared revocation set; ':' is
// not base64url, so no session id has it.
const revocationPrefix = "apikey:"

// RevocationID returns the id a key's revocation is published under.
func RevocationID(id string) string { return revocationPrefix + id }

// generate returns a fresh key and its id. An id never starts with "-",
// so a command line never takes one for a flag (such a draw is drawn
// again).
func generate() (raw, id string, err error) {
	var b [12 + 32]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return "", "", fmt.Errorf("generating an API key: %w", err)
		}
		if id = base64.RawURLEncoding.EncodeToString(b[:12]); id[0] != '-' {
			return Prefix + id + base64.RawURLEncoding.EncodeToString(b[12:]), id, nil
		}
	}
}

// Parse returns the id of a string shaped like a key, without
// allocating; ok is false for anything else. It says nothing of whether
// the key exists.
func Parse(raw string) (id string, ok bool) {
	if len(raw) != KeyLen || raw[:len(Prefix)] != Prefix {
		return "", false
	}
	for i := len(Prefix); i < len(raw); i++ {
		if !IsKeyChar(raw[i]) {
			return "", false
		}
	}
	// The secret's last character ends in 2 bits of padding, always zero
	// as the encoder writes it: anything else was never minted.
	if base64URLValue(raw[len(raw)-1])&0x3 != 0 {
		return "", false
	}
	return raw[len(Prefix) : len(Prefix)+idLen], true
}

// IsKeyChar reports whether c may stand in a key after its Prefix: the
// base64url alphabet.
func IsKeyChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func base64URLValue(c byte) byte {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A'
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26
	case '0' <= c && c <= '9':
		return c - '0' + 52
	case c == '-':
		return 62
	}
	return 63
}

// hashLabel separates the key-hashing key from every other use of the
// signing key's material.
const hashLabel = "authgate-apikey-hash-v1"

// Hasher makes and checks the keyed hashes the store keeps. Each
// configured signing key that holds secret material gives one hashing key
// (named by the signing key's kid): new keys are hashed with the first,
// and a stored hash is checked with the key it names, so keys made before
// a signing-key rotation work while the old key is still configured (as
// previous_key).
type Hasher struct {
	current string
	keys    map[string][]byte
}

// NewHasher derives the hashing keys from the token keys. keys[0] must
// hold secret material (an HS256 secret or an Ed25519 private key).
func NewHasher(keys []token.Key) (*Hasher, error) {
	h := &Hasher{keys: make(map[string][]byte, len(keys))}
	for i, k := range keys {
		var material []byte
		switch {
		case len(k.Secret) > 0:
			material = k.Secret
		case len(k.Private) > 0:
			material = k.Private.Seed()
		}
		if material == nil {
			if i == 0 {
				return nil, errors.New("api keys: the signing key holds no secret material to derive a hashing key from")
			}
			continue
		}
		m := hmac.New(sha256.New, material)
		m.Write([]byte(hashLabel))
		h.keys[k.ID] = m.Sum(nil)
		if i == 0 {
			h.current = k.ID
		}
	}
	if h.current == "" {
		return nil, errors.New("api keys: no signing key")
	}
	return h, nil
}

// Hash returns the keyed hash of raw and the id of the key that made it.
func (h *Hasher) Hash(raw string) (kid string, sum []byte) {
	return h.current, h.sum(h.keys[h.current], raw)
}

// Verify reports, in constant time, whether sum is raw's hash under the
// hashing key kid. An unknown kid verifies nothing.
func (h *Hasher) Verify(raw, kid string, sum []byte) bool {
	k, ok := h.keys[kid]
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare(h.sum(k, raw), sum) == 1
}

func (h *Hasher) sum(key []byte, raw string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(raw))
	return m.Sum(nil)
}
