package otp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrSealed means a sealed secret could not be opened with any key: it
// was sealed under a key this gateway no longer has, or was altered.
var ErrSealed = errors.New("otp: sealed secret does not open")

// Keys seals TOTP secrets and hashes recovery codes and access passes
// with keys derived (HKDF-SHA256) from the gateway's signing keys, so a
// copy of the store alone reveals no secret and no code. The first key
// seals and hashes; every key opens and checks, so a rotated signing key
// (kept as a previous key) keeps the old secrets working.
type Keys struct {
	seal []cipher.AEAD
	mac  [][]byte
}

// NewKeys derives the keys from master secrets, the first one current.
// Each master must be at least 32 bytes of secret material.
func NewKeys(masters ...[]byte) (*Keys, error) {
	if len(masters) == 0 {
		return nil, errors.New("otp: no master key")
	}
	k := &Keys{}
	for i, m := range masters {
		if len(m) < 32 {
			return nil, fmt.Errorf("otp: master key %d is %d bytes, need 32", i+1, len(m))
		}
		sk, err := hkdf.Key(sha256.New, m, nil, "authgate-otp-seal-v1", 32)
		if err != nil {
			return nil, fmt.Errorf("otp: deriving sealing key: %w", err)
		}
		block, err := aes.NewCipher(sk)
		if err != nil {
			return nil, fmt.Errorf("otp: sealing key: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("otp: sealing key: %w", err)
		}
		mk, err := hkdf.Key(sha256.New, m, nil, "authgate-otp-codes-v1", 32)
		if err != nil {
			return nil, fmt.Errorf("otp: deriving code key: %w", err)
		}
		k.seal = append(k.seal, aead)
		k.mac = append(k.mac, mk)
	}
	return k, nil
}

// Seal encrypts a TOTP secret bound to its device id (the id is
// authenticated, so a sealed secret moved to another device fails to
// open): nonce || AES-GCM ciphertext.
func (k *Keys) Seal(deviceID string, secret []byte) []byte {
	aead := k.seal[0]
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return aead.Seal(nonce, nonce, secret, []byte("authgate-totp|"+deviceID))
}

// Open decrypts a secret sealed for deviceID, trying every key.
func (k *Keys) Open(deviceID string, sealed []byte) ([]byte, error) {
	for _, aead := range k.seal {
		n := aead.NonceSize()
		if len(sealed) < n+aead.Overhead() {
			return nil, ErrSealed
		}
		if secret, err := aead.Open(nil, sealed[:n], sealed[n:], []byte("authgate-totp|"+deviceID)); err == nil {
			return secret, nil
		}
	}
	return nil, ErrSealed
}

// Hashes returns the stored forms of a normalised code of kind for
// email, one per key, the current key's first. The store keeps only
// Hashes(...)[0]; a lookup tries them all.
func (k *Keys) Hashes(kind, email, code string) []string {
	out := make([]string, len(k.mac))
	for i, key := range k.mac {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(kind + "|" + email + "|" + code))
		out[i] = hex.EncodeToString(m.Sum(nil))
	}
	return out
}
