package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// The signing algorithms a Key can hold.
const (
	// AlgHS256 is HMAC-SHA256 with a shared secret.
	AlgHS256 = "HS256"
	// AlgEdDSA is Ed25519; upstreams can verify with the public key alone
	// (see Manager.JWKS).
	AlgEdDSA = "EdDSA"
)

// MinSecretLen is the shortest HS256 secret accepted, in bytes: a secret
// shorter than the hash output weakens HMAC-SHA256.
const MinSecretLen = 32

// Key is one signing or verification key, named by its kid.
//
// An HS256 key has Secret set. An EdDSA key has Public set, and Private too
// when it is used to sign; a key with only Public verifies tokens signed by
// another holder of the private half (or by a retired key).
type Key struct {
	// ID is the kid header value that selects this key.
	ID string
	// Alg is AlgHS256 or AlgEdDSA.
	Alg string
	// Secret is the HMAC secret of an HS256 key.
	Secret []byte
	// Private is the Ed25519 private key of an EdDSA key that signs.
	Private ed25519.PrivateKey
	// Public is the Ed25519 public key of an EdDSA key.
	Public ed25519.PublicKey
}

// NewHS256Key returns an HS256 key holding a copy of secret. The secret must
// be at least MinSecretLen bytes. An empty id is replaced by one derived from
// the secret (see ParseKey).
func NewHS256Key(id string, secret []byte) (Key, error) {
	if len(secret) < MinSecretLen {
		return Key{}, fmt.Errorf("HS256 secret is %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	s := append([]byte(nil), secret...)
	if id == "" {
		id = deriveKID("authgate-kid-v1|HS256|", s)
	}
	return Key{ID: id, Alg: AlgHS256, Secret: s}, nil
}

// GenerateHS256Key returns an HS256 key with a fresh 32-byte random secret
// and a kid derived from it.
func GenerateHS256Key() (Key, error) {
	secret := make([]byte, MinSecretLen)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generating HS256 secret: %w", err)
	}
	return NewHS256Key("", secret)
}

// NewEdDSAKey returns an EdDSA key that signs with priv. An empty id is
// replaced by one derived from the public key. The key is checked when it is
// given to NewManager: a priv of the wrong length is refused there.
func NewEdDSAKey(id string, priv ed25519.PrivateKey) Key {
	k := Key{ID: id, Alg: AlgEdDSA, Private: priv}
	if len(priv) == ed25519.PrivateKeySize {
		k.Public = priv.Public().(ed25519.PublicKey)
	}
	if id == "" && k.Public != nil {
		k.ID = deriveKID("authgate-kid-v1|EdDSA|", k.Public)
	}
	return k
}

// GenerateEdDSAKey returns an EdDSA key with a fresh Ed25519 key pair and a
// kid derived from its public key.
func GenerateEdDSAKey() (Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generating Ed25519 key: %w", err)
	}
	return NewEdDSAKey("", priv), nil
}

// ParseKey reads key material as an operator writes it in configuration:
//
//   - a PEM block "PRIVATE KEY" holding a PKCS#8 Ed25519 key → EdDSA;
//   - "base64:<standard or URL base64>" decoding to at least 32 bytes → HS256;
//   - anything else is the HS256 secret itself, at least 32 bytes, used
//     byte for byte (no trimming).
//
// When id is empty the kid is derived from the key: the first 8 bytes of a
// SHA-256 over a domain-separating prefix and the public key (EdDSA) or the
// secret (HS256), in unpadded base64url. Every instance given the same material
// derives the same kid. Errors never contain the key material.
func ParseKey(id, spec string) (Key, error) {
	trimmed := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(trimmed, "-----BEGIN"):
		return parsePEMKey(id, trimmed)
	case strings.HasPrefix(spec, "base64:"):
		raw, err := decodeBase64(strings.TrimSpace(strings.TrimPrefix(spec, "base64:")))
		if err != nil {
			return Key{}, fmt.Errorf("parsing base64 signing key: %w", err)
		}
		k, err := NewHS256Key(id, raw)
		if err != nil {
			return Key{}, fmt.Errorf("parsing base64 signing key: %w", err)
		}
		return k, nil
	default:
		k, err := NewHS256Key(id, []byte(spec))
		if err != nil {
			return Key{}, fmt.Errorf("parsing signing secret: %w", err)
		}
		return k, nil
	}
}

// parsePEMKey reads one PEM block holding a PKCS#8 Ed25519 private key.
func parsePEMKey(id, spec string) (Key, error) {
	block, rest := pem.Decode([]byte(spec))
	if block == nil {
		return Key{}, errors.New("parsing PEM signing key: no PEM block found")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return Key{}, errors.New("parsing PEM signing key: unexpected data after the PEM block")
	}
	if block.Type != "PRIVATE KEY" {
		return Key{}, fmt.Errorf("parsing PEM signing key: block type %q, want \"PRIVATE KEY\" (PKCS#8)", block.Type)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("parsing PEM signing key: %w", err)
	}
	priv, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return Key{}, fmt.Errorf("parsing PEM signing key: %T is not an Ed25519 key", parsed)
	}
	return NewEdDSAKey(id, priv), nil
}

// decodeBase64 accepts standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
	} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// deriveKID names a key by a short hash of its public part (or, for a
// secret, of the secret under a domain-separating prefix).
func deriveKID(prefix string, material []byte) string {
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write(material)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:8])
}

// validate reports whether k can be used to verify, and to sign when
// signer is true.
func (k Key) validate(signer bool) error {
	if k.ID == "" {
		return errors.New("key has no id")
	}
	switch k.Alg {
	case AlgHS256:
		if len(k.Secret) < MinSecretLen {
			return fmt.Errorf("key %q: HS256 secret is %d bytes, need at least %d", k.ID, len(k.Secret), MinSecretLen)
		}
	case AlgEdDSA:
		if len(k.Public) != ed25519.PublicKeySize {
			return fmt.Errorf("key %q: Ed25519 public key is %d bytes, want %d", k.ID, len(k.Public), ed25519.PublicKeySize)
		}
		if k.Private != nil || signer {
			if len(k.Private) != ed25519.PrivateKeySize {
				return fmt.Errorf("key %q: Ed25519 private key is %d bytes, want %d", k.ID, len(k.Private), ed25519.PrivateKeySize)
			}
			if !k.Public.Equal(k.Private.Public()) {
				return fmt.Errorf("key %q: Ed25519 public key does not match the private key", k.ID)
			}
		}
	default:
		return fmt.Errorf("key %q: unsupported algorithm %q (want %s or %s)", k.ID, k.Alg, AlgHS256, AlgEdDSA)
	}
	return nil
}

// verifyKey is the key the JWT library checks signatures with.
func (k Key) verifyKey() any {
	if k.Alg == AlgEdDSA {
		return k.Public
	}
	return k.Secret
}

// signKey is the key the JWT library signs with.
func (k Key) signKey() any {
	if k.Alg == AlgEdDSA {
		return k.Private
	}
	return k.Secret
}
