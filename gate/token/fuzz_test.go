package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify feeds Verify arbitrary strings: it must never panic, every
// failure must wrap ErrInvalid, and nothing but a token this manager minted
// may ever verify (the signature segment is decoded strictly, so a valid
// token has a single spelling).
func FuzzVerify(f *testing.F) {
	hs := hsKey(f, "hs")
	ed := edKey(f, "ed")
	m := newManager(f, hs, ed)
	minted := map[string]bool{}
	for _, k := range []Key{hs, ed} {
		mk := newManager(f, k)
		tok := mint(f, mk, alice())
		minted[tok] = true
		f.Add(tok)
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + parts[1] + ".")
		f.Add(parts[0] + ".." + parts[2])
		f.Add(tok + "." + parts[2])
	}
	f.Add("")
	f.Add("...")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": "hs"}, goodClaims()))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte(ed.Public), map[string]any{"kid": "ed"}, goodClaims()))
	f.Add(`eyJhbGciOiJIUzI1NiIsImtpZCI6eyJhIjoxfX0.eyJleHAiOiJzb29uIiwiYXVkIjpbMSwyXX0.c2ln`)

	f.Fuzz(func(t *testing.T, token string) {
		now := t0.Add(time.Minute)
		v, err := m.Verify(token, now)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if v != nil {
				t.Fatal("an identity returned with an error")
			}
			return
		}
		if !minted[token] {
			t.Fatalf("a token this gateway never minted verified: %q", token)
		}
		if v.Email == "" || v.SessionID == "" {
			t.Fatalf("verified identity lacks sub or sid: %+v", v)
		}
	})
}
