package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// ErrInvalidKey means a public key is not a well-formed ECDSA P-256 key in
// PKIX DER.
var ErrInvalidKey = errors.New("device: invalid public key")

// maxKeyDER bounds the DER we are willing to parse; a P-256 SPKI is 91 bytes.
const maxKeyDER = 512

// rawSignatureLen is the length of a P-256 signature as WebCrypto makes it.
const rawSignatureLen = 64

// ParsePublicKey parses a PKIX (SubjectPublicKeyInfo) DER public key and
// returns it only if it is an ECDSA key on P-256 whose point lies on the
// curve. Any other key type or curve, trailing data, or oversized input
// yields an error wrapping ErrInvalidKey.
func ParsePublicKey(der []byte) (*ecdsa.PublicKey, error) {
	if len(der) == 0 || len(der) > maxKeyDER {
		return nil, fmt.Errorf("%w: %d bytes of DER", ErrInvalidKey, len(der))
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an ECDSA key", ErrInvalidKey, key)
	}
	if pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: curve %s is not P-256", ErrInvalidKey, pub.Curve.Params().Name)
	}
	return pub, nil
}

// VerifySignature reports whether sig is a valid ECDSA signature by pub of
// SHA-256(msg). sig may be raw r||s (64 bytes, as WebCrypto makes it) or
// ASN.1 DER (as ecdsa.SignASN1 makes it); r and s must lie in [1, n-1].
// High-S signatures are accepted because WebCrypto does not normalise S.
func VerifySignature(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if pub == nil || pub.Curve != elliptic.P256() {
		return false
	}
	r, s, ok := parseSignature(sig)
	if !ok {
		return false
	}
	digest := sha256.Sum256(msg)
	return ecdsa.Verify(pub, digest[:], r, s)
}

// parseSignature reads a P-256 signature in either form. A 64-byte input is
// read as raw r||s; anything else as strict DER. (A DER signature of P-256
// is 64 bytes long only if r and s together lose 6 leading zero bytes, a
// chance near 2^-40; such a signature would be refused, never misread as
// valid.)
func parseSignature(sig []byte) (r, s *big.Int, ok bool) {
	if len(sig) == rawSignatureLen {
		r = new(big.Int).SetBytes(sig[:32])
		s = new(big.Int).SetBytes(sig[32:])
	} else {
		r, s, ok = parseDERSignature(sig)
		if !ok {
			return nil, nil, false
		}
	}
	if !inScalarRange(r) || !inScalarRange(s) {
		return nil, nil, false
	}
	return r, s, true
}

// parseDERSignature reads SEQUENCE { r INTEGER, s INTEGER } in strict DER,
// with nothing after it.
func parseDERSignature(sig []byte) (r, s *big.Int, ok bool) {
	if len(sig) > 80 { // 2 + 2*(2+33) = 72 is the most P-256 needs
		return nil, nil, false
	}
	r, s = new(big.Int), new(big.Int)
	var inner cryptobyte.String
	input := cryptobyte.String(sig)
	if !input.ReadASN1(&inner, asn1.SEQUENCE) || !input.Empty() ||
		!inner.ReadASN1Integer(r) || !inner.ReadASN1Integer(s) || !inner.Empty() {
		return nil, nil, false
	}
	return r, s, true
}

// inScalarRange reports whether 1 <= k <= n-1 for P-256's order n.
func inScalarRange(k *big.Int) bool {
	return k.Sign() > 0 && k.Cmp(elliptic.P256().Params().N) < 0
}

// canonicalSignature returns the signature as raw r||s with S folded into
// the lower half of the order, so every encoding of one signature (raw or
// DER, S or n-S) maps to the same 64 bytes. ok is false if sig does not
// parse.
func canonicalSignature(sig []byte) ([]byte, bool) {
	r, s, ok := parseSignature(sig)
	if !ok {
		return nil, false
	}
	n := elliptic.P256().Params().N
	if s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		s = new(big.Int).Sub(n, s)
	}
	out := make([]byte, rawSignatureLen)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, true
}

// EncodeSignature returns sig as base64url without padding, the form
// signatures travel in.
func EncodeSignature(sig []byte) string {
	return base64.RawURLEncoding.EncodeToString(sig)
}

// DecodeSignature decodes a base64url signature without padding. It
// refuses padding, other alphabets and non-canonical trailing bits, and
// anything longer than a P-256 signature can be.
func DecodeSignature(s string) ([]byte, error) {
	if len(s) > 108 { // base64 of 80 bytes
		return nil, fmt.Errorf("device: signature of %d characters is too long", len(s))
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("device: decoding signature: %w", err)
	}
	return sig, nil
}
