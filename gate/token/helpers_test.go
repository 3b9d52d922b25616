package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://gate.example.com"
	testAudience = "authgate"
)

// t0 is the fixed "now" of the token tests, a whole second.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func hsKey(t testing.TB, id string) Key {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	k, err := NewHS256Key(id, secret)
	if err != nil {
		t.Fatalf("NewHS256Key: %v", err)
	}
	return k
}

func edKey(t testing.TB, id string) Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return NewEdDSAKey(id, priv)
}

func newManager(t testing.TB, keys ...Key) *Manager {
	t.Helper()
	m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: keys})
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	return m
}

func alice() Identity {
	return Identity{
		Email: "alice@example.com", SessionID: "c2Vzc2lvbi1pZC0xMjM0NQ", DeviceID: "dev-1",
		Groups: []string{"ops", "admins"}, Generation: 3,
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
}

func mint(t testing.TB, m *Manager, id Identity) string {
	t.Helper()
	s, err := m.Mint(id)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return s
}

// goodClaims are the claims Mint would write for alice at t0.
func goodClaims() *claims {
	return &claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: testIssuer, Subject: "alice@example.com", Audience: jwt.ClaimStrings{testAudience},
			IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0),
			ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
		},
		SessionID: "sid-1", DeviceID: "dev-1", Generation: 1,
	}
}

// sign builds a token by hand, with any header and claims, so tests can
// make the tokens an attacker would.
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing test token: %v", err)
	}
	return s
}
