package device

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
)

// asn1Marshal encodes SEQUENCE { r INTEGER, s INTEGER }.
func asn1Marshal(r, s *big.Int) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

func mustPKIX(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("marshalling %T: %v", pub, err)
	}
	return der
}

func TestParsePublicKeyAcceptsOnlyP256(t *testing.T) {
	_, good := newKey(t)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	ecdhP256, _ := ecdh.P256().GenerateKey(rand.Reader)

	offCurve := append([]byte(nil), good...)
	offCurve[len(offCurve)-1] ^= 0x01 // last byte of Y: the point leaves the curve

	cases := []struct {
		name string
		der  []byte
		ok   bool
	}{
		{"P-256", good, true},
		{"P-256 made through crypto/ecdh", mustPKIX(t, ecdhP256.PublicKey()), true},
		{"P-384", mustPKIX(t, &p384.PublicKey), false},
		{"P-521", mustPKIX(t, &p521.PublicKey), false},
		{"RSA", mustPKIX(t, &rsaKey.PublicKey), false},
		{"Ed25519", mustPKIX(t, edPub), false},
		{"X25519", mustPKIX(t, x25519.PublicKey()), false},
		{"point off the curve", offCurve, false},
		{"trailing data", append(append([]byte(nil), good...), 0), false},
		{"truncated", good[:len(good)-1], false},
		{"empty", nil, false},
		{"garbage", []byte("not a key"), false},
		{"oversized", make([]byte, maxKeyDER+1), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub, err := ParsePublicKey(c.der)
			if c.ok {
				if err != nil || pub == nil || pub.Curve != elliptic.P256() {
					t.Fatalf("ParsePublicKey = %v, %v; want a P-256 key", pub, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidKey) || pub != nil {
				t.Fatalf("ParsePublicKey = %v, %v; want ErrInvalidKey", pub, err)
			}
		})
	}
}

func TestVerifySignatureForms(t *testing.T) {
	key, _ := newKey(t)
	other, _ := newKey(t)
	msg := []byte("authgate-request-v1\nGET\n/x\n1\nabc")
	raw := signRaw(t, key, msg)
	der := signDER(t, key, msg)
	n := elliptic.P256().Params().N
	r := new(big.Int).SetBytes(raw[:32])
	s := new(big.Int).SetBytes(raw[32:])
	zero, one := big.NewInt(0), big.NewInt(1)
	// The same r and s in DER that is not DER: a lenient parser would
	// read the right numbers and the signature would verify.
	nonMinimal := derSequence(append([]byte{0, 0}, r.Bytes()...), minimalInt(s))
	highR := raw
	for highR[0] < 0x80 {
		highR = signRaw(t, key, msg)
	}
	unsignedR := derSequence(highR[:32], minimalInt(new(big.Int).SetBytes(highR[32:])))

	cases := []struct {
		name string
		key  *ecdsa.PrivateKey
		msg  []byte
		sig  []byte
		ok   bool
	}{
		{"raw r||s as WebCrypto makes it", key, msg, raw, true},
		{"DER as Go makes it", key, msg, der, true},
		{"raw with S flipped to the other half", key, msg, flipS(raw), true},
		{"raw re-encoded as DER", key, msg, derOf(t, raw), true},
		{"another key", other, msg, raw, false},
		{"another message", key, []byte("other"), raw, false},
		{"r = 0", key, msg, rawOf(zero, s), false},
		{"s = 0", key, msg, rawOf(r, zero), false},
		{"r = n", key, msg, rawOf(n, s), false},
		{"s = n", key, msg, rawOf(r, n), false},
		{"r + n in DER", key, msg, mustDER(t, new(big.Int).Add(r, n), s), false},
		{"r = 1, s = 1", key, msg, rawOf(one, one), false},
		{"63 bytes", key, msg, raw[:63], false},
		{"65 bytes", key, msg, append(append([]byte(nil), raw...), 0), false},
		{"DER with trailing byte", key, msg, append(append([]byte(nil), der...), 0), false},
		{"hand-built minimal DER", key, msg, derSequence(minimalInt(r), minimalInt(s)), true},
		{"DER with r missing its sign byte (negative)", key, msg, unsignedR, false},
		{"DER with a non-minimal r", key, msg, nonMinimal, false},
		{"empty", key, msg, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := VerifySignature(&c.key.PublicKey, c.msg, c.sig); got != c.ok {
				t.Fatalf("VerifySignature = %v, want %v", got, c.ok)
			}
		})
	}
	if VerifySignature(nil, msg, raw) {
		t.Fatal("VerifySignature with a nil key = true")
	}
}

// derSequence builds SEQUENCE { INTEGER r, INTEGER s } from the given
// content bytes, as they are, minimal or not.
func derSequence(r, s []byte) []byte {
	body := append(append([]byte{0x02, byte(len(r))}, r...), append([]byte{0x02, byte(len(s))}, s...)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// minimalInt is the minimal DER content of a positive integer.
func minimalInt(k *big.Int) []byte {
	b := k.Bytes()
	if b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

func mustDER(t *testing.T, r, s *big.Int) []byte {
	t.Helper()
	der, err := asn1Marshal(r, s)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCanonicalSignatureIgnoresEncodingAndS(t *testing.T) {
	key, _ := newKey(t)
	raw := signRaw(t, key, []byte("m"))
	want, ok := canonicalSignature(raw)
	if !ok {
		t.Fatal("canonicalSignature of a valid signature failed")
	}
	for name, sig := range map[string][]byte{
		"DER":          derOf(t, raw),
		"flipped S":    flipS(raw),
		"flipped DER":  derOf(t, flipS(raw)),
		"raw as given": raw,
	} {
		got, ok := canonicalSignature(sig)
		if !ok || string(got) != string(want) {
			t.Errorf("%s: canonical form differs", name)
		}
	}
	n := elliptic.P256().Params().N
	if s := new(big.Int).SetBytes(want[32:]); s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		t.Error("canonical S is in the upper half")
	}
}

func TestDecodeSignature(t *testing.T) {
	cases := []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"AAEC", []byte{0, 1, 2}, true},
		{"-_8", []byte{0xfb, 0xff}, true},
		{"AAE=", nil, false}, // padding
		{"+/8", nil, false},  // standard alphabet
		{"AAF", nil, false},  // non-zero trailing bits
		{"", []byte{}, true},
		{string(make([]byte, 200)), nil, false},
	}
	for _, c := range cases {
		got, err := DecodeSignature(c.in)
		if (err == nil) != c.ok || (c.ok && string(got) != string(c.want)) {
			t.Errorf("DecodeSignature(%q) = %x, %v; want %x ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if s := EncodeSignature([]byte{0xfb, 0xff}); s != "-_8" {
		t.Errorf("EncodeSignature = %q, want -_8", s)
	}
}
