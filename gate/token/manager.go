// Package token mints and verifies authgate's session JWTs, holds the
// signing keys (rotation by kid), caches verified tokens until they expire,
// and keeps the set of revoked sessions and generations in memory, current
// with the store, so that a request with a valid cookie needs no store round
// trip.
package token

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalid is wrapped by every error Verify returns: the token is not
// one this gateway accepts, for whatever reason (the reason is in the
// error text and, where the JWT library found it, also wrapped).
var ErrInvalid = errors.New("token: invalid")

// MaxTokenLen is the longest token Verify will parse, in bytes; longer ones
// are rejected unread.
const MaxTokenLen = 4096

// Defaults for the zero values of Config.
const (
	// DefaultLeeway is the clock skew allowed when Config.Leeway is zero.
	DefaultLeeway = 5 * time.Second
	// DefaultCacheSize is the cache bound when Config.CacheSize is zero.
	DefaultCacheSize = 100_000
)

// Config is what a Manager is built from.
type Config struct {
	// Issuer is the iss claim minted and required.
	Issuer string
	// Audience is the aud claim minted and required.
	Audience string
	// Keys are the keys in use: Keys[0] signs, and every key verifies the
	// tokens whose kid header names it. Rotate by putting the new key
	// first and keeping the old one until its tokens have expired.
	Keys []Key
	// Leeway is the clock skew allowed on exp, nbf and iat; zero means
	// DefaultLeeway.
	Leeway time.Duration
	// CacheSize bounds the verified-token cache; zero means
	// DefaultCacheSize and a negative value turns the cache off. Memory
	// use is about CacheSize × (token length + 300 bytes).
	CacheSize int
}

// Manager mints and verifies tokens with a fixed set of keys. It is safe for
// concurrent use. Its keys never change: to rotate, build a new Manager
// (its cache starts empty, so a removed key stops verifying at once).
type Manager struct {
	issuer   string
	audience string
	leeway   time.Duration
	signer   Key
	keys     map[string]Key // by kid; the only place verification keys come from
	methods  []string       // algorithms of the configured keys
	jwks     []byte
	cache    *verifiedCache
	parses   atomic.Uint64 // full parses (cache misses), for tests
}

// NewManager checks cfg and returns a Manager. Every key needs a unique,
// non-empty ID; Keys[0] must be able to sign.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("token config: issuer is empty")
	}
	if cfg.Audience == "" {
		return nil, errors.New("token config: audience is empty")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("token config: no keys")
	}
	if cfg.Leeway < 0 {
		return nil, fmt.Errorf("token config: negative leeway %s", cfg.Leeway)
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	m := &Manager{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		leeway:   cfg.Leeway,
		signer:   cfg.Keys[0],
		keys:     make(map[string]Key, len(cfg.Keys)),
		cache:    newVerifiedCache(cfg.CacheSize),
	}
	for i, k := range cfg.Keys {
		if err := k.validate(i == 0); err != nil {
			return nil, fmt.Errorf("token config: keys[%d]: %w", i, err)
		}
		if _, dup := m.keys[k.ID]; dup {
			return nil, fmt.Errorf("token config: keys[%d]: duplicate kid %q", i, k.ID)
		}
		m.keys[k.ID] = k
		if !contains(m.methods, k.Alg) {
			m.methods = append(m.methods, k.Alg)
		}
	}
	jwks, err := buildJWKS(cfg.Keys)
	if err != nil {
		return nil, fmt.Errorf("token config: %w", err)
	}
	m.jwks = jwks
	return m, nil
}

// Mint signs a token for id with Keys[0]: claims iss, aud, sub (email), sid,
// did, iat, nbf (= iat), exp, groups, gen and ep, and the kid header. Times are
// truncated to whole seconds.
func (m *Manager) Mint(id Identity) (string, error) {
	if err := checkIdentity(id); err != nil {
		return "", fmt.Errorf("minting token: %w", err)
	}
	iat := id.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	if !id.ExpiresAt.After(iat) {
		return "", errors.New("minting token: expiry is not after issue time")
	}
	c := &claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.issuer,
			Subject:   id.Email,
			Audience:  jwt.ClaimStrings{m.audience},
			IssuedAt:  jwt.NewNumericDate(iat),
			NotBefore: jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(id.ExpiresAt),
		},
		SessionID:  id.SessionID,
		DeviceID:   id.DeviceID,
		Groups:     id.Groups,
		Generation: id.Generation,
		Epoch:      id.Epoch,
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(m.signer.Alg), c)
	t.Header["kid"] = m.signer.ID
	s, err := t.SignedString(m.signer.signKey())
	if err != nil {
		return "", fmt.Errorf("minting token with key %q: %w", m.signer.ID, err)
	}
	return s, nil
}

// Verify returns the identity in token if it is valid at now.
//
// A token verified before and still within its validity is answered from
// the cache without allocating. Otherwise the token is parsed with the
// algorithm list pinned to the configured keys' algorithms, issuer and
// audience required, exp required, iat checked, nbf checked, and the leeway
// applied; its key is chosen only by the kid header from the configured
// keys (jku, x5u and jwk headers are ignored) and must be of the token's
// algorithm; sub and sid must be present. Tokens longer than MaxTokenLen are
// rejected unparsed. Every rejection wraps ErrInvalid; failures are never
// cached.
//
// Verify does not consult revocations: see Revocations.Check.
func (m *Manager) Verify(token string, now time.Time) (*Verified, error) {
	if len(token) > MaxTokenLen {
		return nil, fmt.Errorf("%w: token is %d bytes, limit %d", ErrInvalid, len(token), MaxTokenLen)
	}
	if m.cache != nil {
		if v := m.cache.get(token, now); v != nil {
			return v, nil
		}
	}
	m.parses.Add(1)
	c := &claims{}
	p := jwt.NewParser(
		jwt.WithValidMethods(m.methods),
		jwt.WithIssuer(m.issuer),
		jwt.WithAudience(m.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(m.leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	t, err := p.ParseWithClaims(token, c, m.keyFor)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if t == nil || !t.Valid {
		return nil, fmt.Errorf("%w: token not valid", ErrInvalid)
	}
	if c.Subject == "" {
		return nil, fmt.Errorf("%w: no sub claim", ErrInvalid)
	}
	if c.SessionID == "" {
		return nil, fmt.Errorf("%w: no sid claim", ErrInvalid)
	}
	if c.Generation < 0 {
		return nil, fmt.Errorf("%w: negative gen claim", ErrInvalid)
	}
	if err := checkIdentity(Identity{
		Email: c.Subject, SessionID: c.SessionID, DeviceID: c.DeviceID, Groups: c.Groups, Generation: c.Generation,
	}); err != nil {
		// A value that cannot travel in a request header unchanged (a
		// comma in a group would split it in Remote-Groups) is refused,
		// whoever signed it.
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	v := newVerified(c)
	if m.cache != nil && now.Before(v.ExpiresAt) {
		// Count the entry only where the parser would accept the token:
		// from nbf and iat (less the leeway) until exp.
		from := c.IssuedAt.Time
		if c.NotBefore != nil && c.NotBefore.After(from) {
			from = c.NotBefore.Time
		}
		m.cache.put(token, v, from.Add(-m.leeway), v.ExpiresAt, now)
	}
	return v, nil
}

// keyFor returns the verification key named by the token's kid header. It
// looks only in the configured keys and refuses a key of another algorithm
// than the token's, so an HS256 token can never be checked against an
// Ed25519 public key. A token with a "crit" header is refused: the gate
// understands no extension, and RFC 7515 says such a token is invalid.
func (m *Manager) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("crit header")
	}
	kid, ok := t.Header["kid"].(string)
	if !ok || kid == "" {
		return nil, errors.New("no kid header")
	}
	k, ok := m.keys[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	if t.Method == nil || t.Method.Alg() != k.Alg {
		return nil, errors.New("algorithm does not match the key")
	}
	return k.verifyKey(), nil
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
