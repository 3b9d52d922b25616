package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintThenVerifyReturnsTheIdentityAndHeaderValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  Key
	}{
		{"HS256", hsKey(t, "hs")},
		{"EdDSA", edKey(t, "ed")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t, tc.key)
			id := alice()
			v, err := m.Verify(mint(t, m, id), t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if v.Email != id.Email || v.SessionID != id.SessionID || v.DeviceID != id.DeviceID ||
				v.Generation != id.Generation || strings.Join(v.Groups, "|") != "ops|admins" ||
				!v.ExpiresAt.Equal(id.ExpiresAt) || !v.IssuedAt.Equal(id.IssuedAt) {
				t.Fatalf("Verify = %+v, want the minted identity %+v", v, id)
			}
			if v.GroupsHeader != "ops,admins" {
				t.Fatalf("groups header value = %q", v.GroupsHeader)
			}
		})
	}
}

func TestMintWritesTheDocumentedClaimsAndKid(t *testing.T) {
	k := hsKey(t, "kid-1")
	m := newManager(t, k)
	tok := mint(t, m, alice())
	parts := strings.Split(tok, ".")
	var header, payload map[string]any
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatal(err)
		}
	}
	if header["kid"] != "kid-1" || header["alg"] != "HS256" {
		t.Fatalf("header = %v", header)
	}
	for _, claim := range []string{"iss", "aud", "sub", "sid", "did", "iat", "nbf", "exp", "groups", "gen"} {
		if _, ok := payload[claim]; !ok {
			t.Errorf("claim %q missing from %v", claim, payload)
		}
	}
}

func TestMintRefusesUnusableIdentities(t *testing.T) {
	m := newManager(t, hsKey(t, "k"))
	for _, tc := range []struct {
		name string
		edit func(*Identity)
	}{
		{"no email", func(id *Identity) { id.Email = "" }},
		{"no session", func(id *Identity) { id.SessionID = "" }},
		{"expiry before issue", func(id *Identity) { id.ExpiresAt = id.IssuedAt.Add(-time.Second) }},
		{"group with comma", func(id *Identity) { id.Groups = []string{"a,b"} }},
		{"empty group", func(id *Identity) { id.Groups = []string{""} }},
		{"newline in email", func(id *Identity) { id.Email = "a@b.c\r\nX-Evil: 1" }},
		{"negative generation", func(id *Identity) { id.Generation = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := alice()
			tc.edit(&id)
			if tok, err := m.Mint(id); err == nil {
				t.Fatalf("Mint accepted %+v and returned %q", id, tok)
			}
		})
	}
}

// TestVerifyRejects covers every way a token must fail; each must wrap
// ErrInvalid and none may be cached.
func TestVerifyRejects(t *testing.T) {
	hs := hsKey(t, "hs-current")
	ed := edKey(t, "ed-current")
	attacker := hsKey(t, "hs-current") // same kid, other secret
	now := t0.Add(time.Minute)

	hsOnly := newManager(t, hs)
	edOnly := newManager(t, ed)
	both := newManager(t, ed, hs)

	withClaims := func(edit func(*claims)) *claims {
		c := goodClaims()
		edit(c)
		return c
	}
	kid := func(id string) map[string]any { return map[string]any{"kid": id} }
	good := sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID), goodClaims())
	parts := strings.Split(good, ".")
	randomSig := base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", 32)))

	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid(hs.ID), goodClaims())
	attackerJWK := map[string]any{
		"kid": "attacker",
		"jwk": map[string]any{"kty": "oct", "kid": "attacker", "k": base64.RawURLEncoding.EncodeToString(attacker.Secret)},
		"jku": "https://evil.example/jwks.json",
		"x5u": "https://evil.example/cert.pem",
	}
	big := goodClaims()
	big.Groups = []string{strings.Repeat("g", MaxTokenLen)}

	for _, tc := range []struct {
		name  string
		m     *Manager
		token string
	}{
		{"empty", hsOnly, ""},
		{"garbage", hsOnly, "not a token"},
		{"two segments", hsOnly, parts[0] + "." + parts[1]},
		{"forged signature", hsOnly, parts[0] + "." + parts[1] + "." + randomSig},
		{"payload swapped under a valid signature", hsOnly, parts[0] + "." +
			base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+testIssuer+`","sub":"mallory@example.com","aud":["`+testAudience+`"],"sid":"x","exp":9999999999,"iat":1}`)) +
			"." + parts[2]},
		{"wrong key under the right kid", hsOnly, sign(t, jwt.SigningMethodHS256, attacker.Secret, kid(hs.ID), goodClaims())},
		{"expired beyond leeway", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-DefaultLeeway - time.Second)) }))},
		{"no exp", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.ExpiresAt = nil }))},
		{"not yet valid (nbf)", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute)) }))},
		{"issued in the future (iat)", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)) }))},
		{"alg none", hsOnly, noneToken},
		{"alg none with both algorithms configured", both, noneToken},
		{"alg confusion: HS256 keyed with the Ed25519 public key", edOnly,
			sign(t, jwt.SigningMethodHS256, []byte(ed.Public), kid(ed.ID), goodClaims())},
		{"alg confusion with HS256 also configured", both,
			sign(t, jwt.SigningMethodHS256, []byte(ed.Public), kid(ed.ID), goodClaims())},
		{"HS384 under a configured HS256 kid", hsOnly, sign(t, jwt.SigningMethodHS384, hs.Secret, kid(hs.ID), goodClaims())},
		{"wrong issuer", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Issuer = "https://evil.example" }))},
		{"no issuer", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Issuer = "" }))},
		{"wrong audience", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Audience = jwt.ClaimStrings{"other-app"} }))},
		{"no audience", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Audience = nil }))},
		{"a group with the header separator", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Groups = []string{"devs,admin"} }))},
		{"a group with a control character", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Groups = []string{"devs\nadmin"} }))},
		{"an email with a line break", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Subject = "alice@example.com\r\nRemote-Groups: admin" }))},
		{"missing kid", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, nil, goodClaims())},
		{"empty kid", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(""), goodClaims())},
		{"numeric kid", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, map[string]any{"kid": 7}, goodClaims())},
		{"unknown kid", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid("retired"), goodClaims())},
		{"attacker key in jwk, jku and x5u headers", hsOnly, sign(t, jwt.SigningMethodHS256, attacker.Secret, attackerJWK, goodClaims())},
		{"a crit header the gate cannot honour", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret,
			map[string]any{"kid": hs.ID, "crit": []string{"exp-ext"}, "exp-ext": 1}, goodClaims())},
		{"missing sid", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.SessionID = "" }))},
		{"missing sub", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Subject = "" }))},
		{"negative gen", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID),
			withClaims(func(c *claims) { c.Generation = -1 }))},
		{"oversized", hsOnly, sign(t, jwt.SigningMethodHS256, hs.Secret, kid(hs.ID), big)},
		{"non-canonical signature encoding", hsOnly, parts[0] + "." + parts[1] + "." + flipLastBits(parts[2])},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 2; i++ { // twice: a failure must not be cached
				v, err := tc.m.Verify(tc.token, now)
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Verify = %+v, %v; want an error wrapping ErrInvalid", v, err)
				}
				if v != nil {
					t.Fatalf("Verify returned an identity with its error: %+v", v)
				}
			}
			if n := tc.m.cache.len(); n != 0 {
				t.Fatalf("cache holds %d entries after rejections", n)
			}
		})
	}

	t.Run("the untampered token verifies", func(t *testing.T) {
		if _, err := hsOnly.Verify(good, now); err != nil {
			t.Fatalf("Verify(good) = %v", err)
		}
	})
}

// flipLastBits rewrites the last base64url character so it carries the
// same bytes with non-zero padding bits: lenient decoders accept it as the
// same signature.
func flipLastBits(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|1])
}

func TestVerifyIgnoresJkuAndJwkHeadersOnATokenSignedByAConfiguredKey(t *testing.T) {
	hs := hsKey(t, "hs")
	m := newManager(t, hs)
	tok := sign(t, jwt.SigningMethodHS256, hs.Secret, map[string]any{
		"kid": hs.ID, "jku": "https://evil.example/jwks.json",
		"jwk": map[string]any{"kty": "oct", "k": "AAAA"},
	}, goodClaims())
	if _, err := m.Verify(tok, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Verify = %v; the configured key should decide, whatever else the header says", err)
	}
}

func TestVerifyAcceptsWithinLeeway(t *testing.T) {
	m := newManager(t, hsKey(t, "k"))
	tok := mint(t, m, alice())
	if _, err := m.Verify(tok, t0.Add(-DefaultLeeway+time.Second)); err != nil {
		t.Fatalf("Verify just before nbf, within leeway = %v", err)
	}
	if _, err := m.Verify(tok, t0.Add(time.Hour+DefaultLeeway-time.Second)); err != nil {
		t.Fatalf("Verify just after exp, within leeway = %v", err)
	}
}

func TestRotationKeepsOldTokensWhileTheirKeyIsListed(t *testing.T) {
	old, next := hsKey(t, "2029-12"), edKey(t, "2030-01")
	before := newManager(t, old)
	oldToken := mint(t, before, alice())
	now := t0.Add(time.Minute)

	during := newManager(t, next, old)
	if _, err := during.Verify(oldToken, now); err != nil {
		t.Fatalf("old key still listed: Verify = %v", err)
	}
	newToken := mint(t, during, alice())
	if kidOf(t, newToken) != next.ID {
		t.Fatalf("new token signed with kid %q, want Keys[0] %q", kidOf(t, newToken), next.ID)
	}

	after := newManager(t, next)
	if _, err := after.Verify(oldToken, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old key removed: Verify = %v, want ErrInvalid", err)
	}
	if _, err := after.Verify(newToken, now); err != nil {
		t.Fatalf("new token after rotation: Verify = %v", err)
	}
	if _, err := before.Verify(newToken, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an instance without the new key: Verify = %v, want ErrInvalid", err)
	}
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

func TestVerifyOnlyEdDSAKeyVerifiesButCannotSign(t *testing.T) {
	signer := edKey(t, "ed")
	verifier := Key{ID: signer.ID, Alg: AlgEdDSA, Public: signer.Public}
	tok := mint(t, newManager(t, signer), alice())
	m := newManager(t, hsKey(t, "hs"), verifier)
	if _, err := m.Verify(tok, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Verify with a public-only key = %v", err)
	}
	if _, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{verifier}}); err == nil {
		t.Fatal("NewManager accepted a public-only key as the signer")
	}
}

func TestNewManagerRefusesBadConfig(t *testing.T) {
	hs := hsKey(t, "k")
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no issuer", Config{Audience: testAudience, Keys: []Key{hs}}},
		{"no audience", Config{Issuer: testIssuer, Keys: []Key{hs}}},
		{"no keys", Config{Issuer: testIssuer, Audience: testAudience}},
		{"duplicate kid", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hs, hsKey(t, "k")}}},
		{"short secret", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{{ID: "s", Alg: AlgHS256, Secret: []byte("short")}}}},
		{"no kid", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{{Alg: AlgHS256, Secret: hs.Secret}}}},
		{"unknown alg", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{{ID: "r", Alg: "RS256", Secret: hs.Secret}}}},
		{"bad ed25519 key", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{NewEdDSAKey("e", []byte("short"))}}},
		{"mismatched ed25519 halves", Config{Issuer: testIssuer, Audience: testAudience,
			Keys: []Key{{ID: "e", Alg: AlgEdDSA, Private: edKey(t, "a").Private, Public: edKey(t, "b").Public}}}},
		{"negative leeway", Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hs}, Leeway: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewManager(tc.cfg); err == nil {
				t.Fatal("NewManager accepted it")
			}
		})
	}
}

func TestJWKSPublishesOnlyEdDSAPublicKeys(t *testing.T) {
	if got := string(newManager(t, hsKey(t, "hs")).JWKS()); got != `{"keys":[]}` {
		t.Fatalf("HS256-only JWKS = %s", got)
	}
	ed := edKey(t, "")
	m := newManager(t, ed, hsKey(t, "hs"))
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(m.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1: %s", len(set.Keys), m.JWKS())
	}
	k := set.Keys[0]
	x, _ := base64.RawURLEncoding.DecodeString(k["x"])
	if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["kid"] != ed.ID || string(x) != string(ed.Public) {
		t.Fatalf("JWKS key = %v", k)
	}
	if _, ok := k["d"]; ok {
		t.Fatal("JWKS leaks the private key")
	}
	m.JWKS()[0] = 'X'
	if m.JWKS()[0] != '{' {
		t.Fatal("JWKS returned the manager's own buffer")
	}
}
