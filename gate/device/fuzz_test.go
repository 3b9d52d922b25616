package device

import (
	"crypto/elliptic"
	"crypto/x509"
	"math/big"
	"net/url"
	"strings"
	"testing"
)

// The fuzz targets cover everything a device or a link can hand us. Their
// seed corpora run in every plain test run.

func FuzzParsePublicKey(f *testing.F) {
	_, der := newKey(f)
	f.Add(der)
	f.Add(der[:len(der)-1])
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := ParsePublicKey(der)
		if err != nil {
			return
		}
		if pub.Curve != elliptic.P256() || !pub.Curve.IsOnCurve(pub.X, pub.Y) {
			t.Fatalf("accepted a key that is not a P-256 point")
		}
		again, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatalf("accepted key does not marshal: %v", err)
		}
		if _, err := ParsePublicKey(again); err != nil {
			t.Fatalf("re-marshalled key is refused: %v", err)
		}
	})
}

func FuzzParseSignature(f *testing.F) {
	key, _ := newKey(f)
	raw := signRaw(f, key, []byte("seed"))
	f.Add(raw)
	f.Add(signDER(f, key, []byte("seed")))
	f.Add(flipS(raw))
	f.Add(make([]byte, 64))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, sig []byte) {
		r, s, ok := parseSignature(sig)
		if ok && (!inScalarRange(r) || !inScalarRange(s)) {
			t.Fatalf("accepted r or s out of range")
		}
		canon, cok := canonicalSignature(sig)
		if cok != ok {
			t.Fatalf("canonicalSignature ok=%v, parseSignature ok=%v", cok, ok)
		}
		if ok {
			if len(canon) != 64 {
				t.Fatalf("canonical form is %d bytes", len(canon))
			}
			cr := new(big.Int).SetBytes(canon[:32])
			if cr.Cmp(r) != 0 {
				t.Fatalf("canonical form changed r")
			}
		}
		// Whatever the bytes, verification answers without panicking and
		// accepts nothing it did not sign.
		if VerifySignature(&key.PublicKey, []byte("other"), sig) {
			t.Fatalf("a signature of another message verified")
		}
	})
}

func FuzzParseEnrollmentLink(f *testing.F) {
	f.Add(EnrollmentLink("https://a.example/.authgate", testToken))
	f.Add("https://a.example/app#enroll=")
	f.Add("http://[::1]:8/app#enroll=" + testToken)
	f.Add("https://u@a.example/app#enroll=" + testToken)
	f.Fuzz(func(t *testing.T, link string) {
		base, token, err := ParseEnrollmentLink(link)
		if err != nil {
			return
		}
		if !validToken(token) {
			t.Fatalf("accepted malformed token %q", token)
		}
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("accepted base %q", base)
		}
		b2, t2, err := ParseEnrollmentLink(EnrollmentLink(base, token))
		if err != nil || b2 != strings.TrimRight(base, "/") || t2 != token {
			t.Fatalf("round trip of %q, %q gave %q, %q, %v", base, token, b2, t2, err)
		}
	})
}

func FuzzQueryCredentials(f *testing.F) {
	f.Add("ag_device=d&ag_ts=1&ag_sig=s")
	f.Add("z=1&ag_device=d&a=2&ag_ts=1&ag_sig=s&m=%20x")
	f.Add("ag%5Fdevice=d&&ag_ts=1&ag_sig=s;x")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		c, err := queryCredentials(&url.URL{Path: "/p", RawQuery: rawQuery})
		if err != nil {
			return
		}
		if c.deviceID == "" || c.timestamp == "" || c.signature == "" {
			t.Fatalf("accepted empty credentials from %q", rawQuery)
		}
		// The signed target carries none of the three parameters.
		path, query, _ := strings.Cut(c.target, "?")
		if path != "/p" {
			t.Fatalf("target %q changed the path", c.target)
		}
		for _, part := range strings.Split(query, "&") {
			k, _, _ := strings.Cut(part, "=")
			if k, err := url.QueryUnescape(k); err == nil && (k == ParamDevice || k == ParamTimestamp || k == ParamSignature) {
				t.Fatalf("target %q still carries %s", c.target, k)
			}
		}
	})
}
