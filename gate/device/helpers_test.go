package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"
)

// newKey makes a fresh P-256 device key and its PKIX DER public key.
func newKey(t testing.TB) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("marshalling key: %v", err)
	}
	return key, der
}

// signRaw signs msg as WebCrypto does: raw r||s, S as it comes.
func signRaw(t testing.TB, key *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	der := signDER(t, key, msg)
	r, s, ok := parseDERSignature(der)
	if !ok {
		t.Fatalf("own DER signature does not parse")
	}
	return rawOf(r, s)
}

// signDER signs msg as Go does by default: ASN.1 DER.
func signDER(t testing.TB, key *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	digest := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return sig
}

// rawOf encodes r and s as 64 bytes, each half zero-padded.
func rawOf(r, s *big.Int) []byte {
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out
}

// flipS returns the raw signature (r, n-s): the other valid signature with
// the same r, as a WebCrypto signer makes half the time.
func flipS(raw []byte) []byte {
	n := elliptic.P256().Params().N
	r := new(big.Int).SetBytes(raw[:32])
	s := new(big.Int).SetBytes(raw[32:])
	return rawOf(r, new(big.Int).Sub(n, s))
}

// derOf encodes a raw signature as DER.
func derOf(t testing.TB, raw []byte) []byte {
	t.Helper()
	r := new(big.Int).SetBytes(raw[:32])
	s := new(big.Int).SetBytes(raw[32:])
	der, err := asn1Marshal(r, s)
	if err != nil {
		t.Fatalf("encoding DER: %v", err)
	}
	return der
}

// mustP384 makes a key on the wrong curve.
func mustP384(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
