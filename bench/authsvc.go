package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/gate/token"
)

// The forward_auth service is the best case a separate auth gateway can
// reach: it verifies the same HS256 session JWT as authgate, with the same
// parser options, remembers verified tokens until they expire (so a repeat
// request costs a map lookup), and answers 200 with Remote-Email at once.
// What it cannot avoid is the extra HTTP round trip from Caddy to it for
// every request: that is what the comparison measures.

// signingKeyEnv carries the HS256 secret to the auth service process, so it
// stays off the command line.
const signingKeyEnv = "AUTHGATE_BENCH_SIGNING_KEY"

// authCacheMax bounds the verified-token cache; past it the cache starts
// over.
const authCacheMax = 100_000

// authClaims is the part of authgate's token the service needs.
type authClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// authEntry is a verified token: the header value to send back and when it
// stops counting.
type authEntry struct {
	email   []string
	expires time.Time
}

// authService answers forward_auth subrequests.
type authService struct {
	kid    string
	secret []byte
	parser *jwt.Parser
	now    func() time.Time
	cache  sync.Map // token string -> *authEntry
	size   atomic.Int64
}

// newAuthService verifies tokens signed with the key authgate derives from
// secret (as token.ParseKey reads a signing_key option).
func newAuthService(secret string, now func() time.Time) (*authService, error) {
	k, err := token.ParseKey("", secret)
	if err != nil {
		return nil, fmt.Errorf("auth service key: %w", err)
	}
	if k.Alg != token.AlgHS256 {
		return nil, fmt.Errorf("auth service key: %s, want an HS256 secret", k.Alg)
	}
	s := &authService{kid: k.ID, secret: k.Secret, now: now}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{token.AlgHS256}),
		jwt.WithIssuer("authgate"),
		jwt.WithAudience("authgate"),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(token.DefaultLeeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return s.now() }),
	)
	return s, nil
}

// verify returns the Remote-Email header value for a valid token, or false.
func (s *authService) verify(tok string) ([]string, bool) {
	if len(tok) > token.MaxTokenLen {
		return nil, false
	}
	now := s.now()
	if v, ok := s.cache.Load(tok); ok {
		e := v.(*authEntry)
		if now.Before(e.expires) {
			return e.email, true
		}
		s.cache.Delete(tok)
	}
	var c authClaims
	t, err := s.parser.ParseWithClaims(tok, &c, s.keyFor)
	if err != nil || t == nil || !t.Valid || c.Subject == "" || c.SessionID == "" {
		return nil, false
	}
	if s.size.Add(1) > authCacheMax {
		s.cache.Clear()
		s.size.Store(1)
	}
	s.cache.Store(tok, &authEntry{email: []string{c.Subject}, expires: c.ExpiresAt.Time})
	return []string{c.Subject}, true
}

// keyFor accepts only the configured kid, with HS256.
func (s *authService) keyFor(t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid != s.kid {
		return nil, errors.New("unknown kid")
	}
	if t.Method == nil || t.Method.Alg() != token.AlgHS256 {
		return nil, errors.New("algorithm does not match the key")
	}
	return s.secret, nil
}

// ServeHTTP answers 200 with Remote-Email for a request carrying a valid
// session cookie, and 401 otherwise.
func (s *authService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err == nil {
		if email, ok := s.verify(c.Value); ok {
			w.Header()["Remote-Email"] = email
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// serveAuth runs the auth service on addr until ctx ends.
func serveAuth(ctx context.Context, addr, secret string) error {
	s, err := newAuthService(secret, time.Now)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("auth service: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("auth service: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("auth service: stopping: %w", err)
	}
	return nil
}
