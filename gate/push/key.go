package push

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Key is the application server's VAPID key pair (ECDSA P-256). Browsers
// subscribe with its public key; push services accept only messages whose
// JWT it signed.
type Key struct {
	priv *ecdsa.PrivateKey
	pub  []byte // uncompressed point, 65 bytes
	// topicKey keys the users' Topic headers (see topic).
	topicKey []byte
}

// GenerateKey makes a new VAPID key.
func GenerateKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("push: generating VAPID key: %w", err)
	}
	return newKey(priv)
}

// ParseKey reads a VAPID private key: base64url (or standard base64) of
// the 32-byte private scalar, as web-push tools print it, or a PEM "EC
// PRIVATE KEY" / "PRIVATE KEY" of a P-256 key.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block := privateKeyBlock([]byte(s))
		if block == nil {
			return nil, errors.New("push: VAPID key: no EC PRIVATE KEY or PRIVATE KEY block in the PEM")
		}
		var k any
		var err error
		if block.Type == "EC PRIVATE KEY" {
			k, err = x509.ParseECPrivateKey(block.Bytes)
		} else {
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("push: VAPID key: %w", err)
		}
		priv, ok := k.(*ecdsa.PrivateKey)
		if !ok || priv.Curve != elliptic.P256() {
			return nil, errors.New("push: VAPID key: not a P-256 key")
		}
		return newKey(priv)
	}
	raw, err := decodeB64(s)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("push: VAPID key: want base64url of a 32-byte P-256 private key, or PEM")
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		return nil, fmt.Errorf("push: VAPID key: %w", err)
	}
	return newKey(priv)
}

// privateKeyBlock returns the PEM's first private key block. Others are
// passed over: "openssl ecparam -genkey" writes the curve's EC
// PARAMETERS block before the key.
func privateKeyBlock(data []byte) *pem.Block {
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			return nil
		}
		if block.Type == "EC PRIVATE KEY" || block.Type == "PRIVATE KEY" {
			return block
		}
		data = rest
	}
}

func newKey(priv *ecdsa.PrivateKey) (*Key, error) {
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("push: VAPID public key: %w", err)
	}
	raw, err := priv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("push: VAPID private key: %w", err)
	}
	topicKey, err := hkdf.Key(sha256.New, raw, nil, "authgate-push-topic", 32)
	if err != nil {
		return nil, fmt.Errorf("push: deriving topic key: %w", err)
	}
	return &Key{priv: priv, pub: pub, topicKey: topicKey}, nil
}

// topic is the Topic of every push to the user email: 32 base64url
// characters, the same for each of that user's pushes from every
// instance signing with this key, so a newer request replaces an older
// one still queued. The push service sees the header: a keyed hash keeps
// it from finding the address by hashing guesses, and from linking one
// user across gates.
func (k *Key) topic(email string) string {
	m := hmac.New(sha256.New, k.topicKey)
	m.Write([]byte(email))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// Encode returns the private key as base64url of its scalar, the form
// ParseKey reads and that is kept in storage.
func (k *Key) Encode() string {
	raw, err := k.priv.Bytes()
	if err != nil { // only for keys not on a NIST curve, which newKey refuses
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// PublicKey returns base64url of the uncompressed public point: the
// applicationServerKey browsers subscribe with, and the k= of the VAPID
// Authorization header.
func (k *Key) PublicKey() string { return base64.RawURLEncoding.EncodeToString(k.pub) }

// ID returns a short name of the public key, stored with subscriptions
// so that a key change shows which ones must be renewed.
func (k *Key) ID() string {
	sum := sha256.Sum256(k.pub)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// decodeB64 reads base64url or standard base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}
