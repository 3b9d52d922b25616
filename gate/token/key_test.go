package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestParseKey(t *testing.T) {
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret32 := strings.Repeat("s", 32)
	raw32 := []byte(strings.Repeat("\x01", 40))
	edPEM := pkcs8PEM(t, edPriv)

	for _, tc := range []struct {
		name       string
		id, spec   string
		wantAlg    string // "" means an error is expected
		wantSecret []byte
		wantID     string
	}{
		{"raw secret", "k1", secret32, AlgHS256, []byte(secret32), "k1"},
		{"raw secret kept byte for byte", "k1", " " + secret32 + "\n", AlgHS256, []byte(" " + secret32 + "\n"), "k1"},
		{"raw secret too short", "k1", strings.Repeat("s", 31), "", nil, ""},
		{"empty", "k1", "", "", nil, ""},
		{"base64 std", "k2", "base64:" + base64.StdEncoding.EncodeToString(raw32), AlgHS256, raw32, "k2"},
		{"base64 raw url", "k2", "base64:" + base64.RawURLEncoding.EncodeToString(raw32), AlgHS256, raw32, "k2"},
		{"base64 with trailing newline", "k2", "base64:" + base64.StdEncoding.EncodeToString(raw32) + "\n", AlgHS256, raw32, "k2"},
		{"base64 too short", "k2", "base64:" + base64.StdEncoding.EncodeToString(raw32[:31]), "", nil, ""},
		{"base64 malformed", "k2", "base64:%%%not base64%%%", "", nil, ""},
		{"ed25519 pkcs8 pem", "ed", edPEM, AlgEdDSA, nil, "ed"},
		{"ed25519 pem with surrounding whitespace", "ed", "\n  " + edPEM + "\n", AlgEdDSA, nil, "ed"},
		{"ecdsa pem refused", "ec", pkcs8PEM(t, ecPriv), "", nil, ""},
		{"wrong pem type", "ed", strings.ReplaceAll(edPEM, "PRIVATE KEY", "PUBLIC KEY"), "", nil, ""},
		{"truncated pem", "ed", edPEM[:len(edPEM)/2], "", nil, ""},
		{"pem with trailing data", "ed", edPEM + "extra", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.id, tc.spec)
			if tc.wantAlg == "" {
				if err == nil {
					t.Fatalf("ParseKey accepted it: %+v", k.ID)
				}
				if len(tc.spec) >= 8 && strings.Contains(err.Error(), tc.spec) {
					t.Fatalf("error repeats the key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if k.Alg != tc.wantAlg || k.ID != tc.wantID {
				t.Fatalf("ParseKey = alg %q id %q, want %q %q", k.Alg, k.ID, tc.wantAlg, tc.wantID)
			}
			if tc.wantSecret != nil && string(k.Secret) != string(tc.wantSecret) {
				t.Fatalf("secret = %q, want %q", k.Secret, tc.wantSecret)
			}
			if k.Alg == AlgEdDSA && !k.Public.Equal(edPriv.Public()) {
				t.Fatal("public key does not match the PEM's private key")
			}
			if err := k.validate(true); err != nil {
				t.Fatalf("parsed key does not validate: %v", err)
			}
		})
	}
}

func TestDerivedKidIsStableAndDependsOnTheKey(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseKey("", pkcs8PEM(t, priv))
	if err != nil {
		t.Fatal(err)
	}
	b := NewEdDSAKey("", priv)
	if a.ID == "" || a.ID != b.ID {
		t.Fatalf("derived kids %q and %q, want equal and non-empty", a.ID, b.ID)
	}
	if len(a.ID) != 11 { // 8 bytes, unpadded base64url
		t.Fatalf("derived kid %q has length %d, want 11", a.ID, len(a.ID))
	}
	s1, _ := ParseKey("", strings.Repeat("a", 32))
	s2, _ := ParseKey("", strings.Repeat("a", 32))
	s3, _ := ParseKey("", strings.Repeat("b", 32))
	if s1.ID != s2.ID || s1.ID == s3.ID {
		t.Fatalf("HS256 kids %q %q %q: want the first two equal and the third different", s1.ID, s2.ID, s3.ID)
	}
	if strings.Contains(s1.ID, "aaaa") {
		t.Fatalf("kid %q shows the secret", s1.ID)
	}
}

func TestGeneratedKeysAreFreshAndUsable(t *testing.T) {
	h1, err := GenerateHS256Key()
	if err != nil {
		t.Fatal(err)
	}
	h2, err := GenerateHS256Key()
	if err != nil {
		t.Fatal(err)
	}
	if string(h1.Secret) == string(h2.Secret) || h1.ID == h2.ID {
		t.Fatal("two generated HS256 keys are equal")
	}
	e, err := GenerateEdDSAKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{h1, e} {
		m := newManager(t, k)
		if _, err := m.Verify(mint(t, m, alice()), t0); err != nil {
			t.Fatalf("%s key: Verify = %v", k.Alg, err)
		}
	}
}

func TestNewHS256KeyCopiesTheSecret(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	k, err := NewHS256Key("k", secret)
	if err != nil {
		t.Fatal(err)
	}
	secret[0] = 'X'
	if k.Secret[0] != 'k' {
		t.Fatal("the key shares the caller's secret buffer")
	}
	if _, err := NewHS256Key("k", secret[:31]); err == nil {
		t.Fatal("NewHS256Key accepted a 31-byte secret")
	}
}
