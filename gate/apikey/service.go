package apikey

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/text"
	"github.com/authgate/authgate/gate/token"
)

// Errors of Authenticate, Create and Revoke; callers test them with
// errors.Is.
var (
	// ErrInvalid: the string is not a key, or no live key has it (unknown,
	// deleted or expired). The caller answers 401 and says no more.
	ErrInvalid = errors.New("apikey: invalid, unknown or expired key")
	// ErrRevoked: the key was revoked; also a 401.
	ErrRevoked = errors.New("apikey: key revoked")
	// ErrStale: the revocation set has not been confirmed current for too
	// long; the caller fails closed (503).
	ErrStale = errors.New("apikey: revocations cannot be checked right now")
	// ErrInvalidName: a key needs a name of printable characters.
	ErrInvalidName = errors.New("apikey: a key needs a name (up to 64 characters)")
	// ErrInvalidExpiry: the expiry has passed.
	ErrInvalidExpiry = errors.New("apikey: the expiry must be in the future")
	// ErrTooMany: the user has MaxPerUser keys already.
	ErrTooMany = errors.New("apikey: too many keys; revoke one first")
)

// LimitError is returned by Authenticate when the key is over its rate.
type LimitError struct {
	// RetryAfter is how long until the next request would be allowed.
	RetryAfter time.Duration
}

// Error says the key is over its rate and when to retry.
func (e *LimitError) Error() string {
	return fmt.Sprintf("apikey: rate limit reached; retry in %s", e.RetryAfter.Round(time.Millisecond))
}

// MaxNameRunes caps a key's name.
const MaxNameRunes = 64

// Defaults for the zero values of Config.
const (
	// DefaultRateLimit requests per DefaultRateWindow, per key and instance.
	DefaultRateLimit  = 600
	DefaultRateWindow = time.Minute
	// DefaultCacheTTL is how long a verified key is trusted from memory.
	DefaultCacheTTL = 5 * time.Minute
	// DefaultCacheSize bounds the verified-key cache.
	DefaultCacheSize = 10_000
	// DefaultMaxPerUser caps one user's live keys.
	DefaultMaxPerUser = 50
)

// MaxCacheTTL caps Config.CacheTTL. A revocation is kept for MaxCacheTTL
// (plus a margin), whatever this instance's CacheTTL, so an instance
// configured with a longer one than the revoking instance still never
// serves a revoked key from its cache.
const MaxCacheTTL = time.Hour

// revocationMargin is how much longer than MaxCacheTTL a revocation is
// kept, for clock differences between instances.
const revocationMargin = time.Minute

// addrMemory is how long an address stays known for a key: use from it
// after that counts as new again (api_key_used).
const addrMemory = 30 * 24 * time.Hour

// usageQueue bounds the reports waiting for the use recorder; when it is
// full, reports wait for a later request.
const usageQueue = 1024

// Config tunes a Service; every zero value has a default.
type Config struct {
	// RateLimit is how many requests one key may make per RateWindow on
	// one instance: a burst of that many, refilled evenly. Default
	// DefaultRateLimit per DefaultRateWindow; negative turns the limit off.
	RateLimit  int
	RateWindow time.Duration
	// CacheTTL is how long a verified key is trusted from memory before
	// its record and owner are read again (default 5 min, at most
	// MaxCacheTTL). Revocations reach every instance at once regardless;
	// this bounds how long a key whose revocation could not be published,
	// or whose owner left the directory, keeps working.
	CacheTTL time.Duration
	// CacheSize bounds the verified-key cache (default 10 000).
	CacheSize int
	// MaxPerUser caps the live keys of one user (default 50).
	MaxPerUser int
}

func (c *Config) defaults() {
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateWindow <= 0 {
		c.RateWindow = DefaultRateWindow
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = DefaultCacheTTL
	}
	c.CacheTTL = min(c.CacheTTL, MaxCacheTTL)
	if c.CacheSize <= 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.MaxPerUser <= 0 {
		c.MaxPerUser = DefaultMaxPerUser
	}
}

// Deps are the parts a Service uses; the caller owns them.
type Deps struct {
	Store       store.Store
	Hasher      *Hasher
	Revocations *token.Revocations
	// Owner says whether a key's owner still exists and what groups they
	// are in; it is asked when a key is first verified and again every
	// CacheTTL. Default: every owner exists, in no group.
	Owner  OwnerFunc
	Events event.Sink
	Logger *zap.Logger
}

// OwnerFunc looks a key's owner up by canonical email: their groups, and
// whether they still exist (a user gone from the directory). An error
// means no answer; the key is then refused for now (503), never passed.
type OwnerFunc func(ctx context.Context, email string) (groups []string, found bool, err error)

// Service mints, verifies, lists and revokes API keys. Authenticate is
// safe for concurrent use; Run must be running for use to be recorded.
type Service struct {
	cfg    Config
	limit  limit
	store  store.Store
	hasher *Hasher
	revs   *token.Revocations
	owner  OwnerFunc
	events event.Sink
	log    *zap.Logger
	cache  *cache
	usage  chan usage
}

// New returns a Service. It starts nothing: call Run.
func New(cfg Config, deps Deps) (*Service, error) {
	cfg.defaults()
	if deps.Store == nil || deps.Hasher == nil || deps.Revocations == nil {
		return nil, errors.New("apikey: a store, a hasher and the revocation set are required")
	}
	if deps.Owner == nil {
		deps.Owner = func(context.Context, string) ([]string, bool, error) { return nil, true, nil }
	}
	if deps.Events == nil {
		deps.Events = event.Discard{}
	}
	if deps.Logger == nil {
		deps.Logger = zap.NewNop()
	}
	s := &Service{
		cfg: cfg, store: deps.Store, hasher: deps.Hasher, revs: deps.Revocations,
		owner: deps.Owner, events: deps.Events, log: deps.Logger,
		cache: newCache(cfg.CacheSize), usage: make(chan usage, usageQueue),
	}
	if cfg.RateLimit > 0 {
		s.limit = limit{burst: float64(cfg.RateLimit), perSec: float64(cfg.RateLimit) / cfg.RateWindow.Seconds()}
	}
	return s, nil
}

// Verified is a key that passed every check: who it acts for. It is
// shared by every request with the same key; callers must not modify it.
type Verified struct {
	// ID is the key's id.
	ID string
	// Email is the owner's canonical email.
	Email string
	// Name is the owner's label for the key.
	Name string
	// Groups are the owner's groups.
	Groups []string
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time
	// RevocationID is RevocationID(ID), computed once.
	RevocationID string
	// GroupsHeader is the Remote-Groups value, the groups joined by ",",
	// computed once.
	GroupsHeader string
}

// Authenticate returns who the key raw acts for, for a request from ip
// at now. A key verified in the last CacheTTL is answered from memory
// without a store round trip or an allocation; otherwise its record is
// read, its hash checked and its owner looked up. Errors: ErrInvalid, ErrRevoked, ErrStale,
// *LimitError, or a store or directory error (the caller fails
// closed).
func (s *Service) Authenticate(ctx context.Context, raw, ip string, now time.Time) (*Verified, error) {
	e := s.cache.get(raw, now)
	if e == nil {
		var err error
		if e, err = s.load(ctx, raw, now); err != nil {
			return nil, err
		}
	}
	// A key is its record, not a token: a store that lost data lost the
	// record too, so the store epoch does not apply (the current one is
	// passed).
	switch s.revs.Check(e.v.RevocationID, e.v.Email, math.MaxInt64, s.revs.Epoch(), now) {
	case token.Allowed:
	case token.Revoked:
		return nil, ErrRevoked
	default:
		return nil, ErrStale
	}
	t := now.UnixNano()
	if ok, wait := e.allow(s.limit, t); !ok {
		return nil, &LimitError{RetryAfter: wait}
	}
	if newAddr, touch := e.noteUse(ip, t); newAddr || touch {
		s.report(e, ip, now, newAddr, touch)
	}
	return e.v, nil
}

// load reads and checks the record of raw and caches it.
func (s *Service) load(ctx context.Context, raw string, now time.Time) (*entry, error) {
	id, ok := Parse(raw)
	if !ok {
		return nil, ErrInvalid
	}
	rec, err := s.store.GetAPIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("reading API key %s: %w", id, err)
	}
	if !s.hasher.Verify(raw, rec.HashKeyID, rec.Hash) {
		return nil, ErrInvalid
	}
	validUntil := now.Add(s.cfg.CacheTTL)
	if !rec.ExpiresAt.IsZero() {
		if !now.Before(rec.ExpiresAt) {
			return nil, ErrInvalid
		}
		validUntil = minTime(validUntil, rec.ExpiresAt)
	}
	groups, found, err := s.owner(ctx, rec.Email)
	if err != nil {
		return nil, fmt.Errorf("looking up the owner of API key %s: %w", id, err)
	}
	if !found {
		return nil, ErrInvalid // the owner is gone: so is what the key could do
	}
	v := &Verified{
		ID: rec.ID, Email: rec.Email, Name: rec.Name, Groups: groups,
		ExpiresAt: rec.ExpiresAt, RevocationID: RevocationID(rec.ID),
	}
	v.GroupsHeader = strings.Join(v.Groups, ",")
	// now was taken before the read: an entry never outlives a
	// revocation published after the read began (see doc.go).
	e := &entry{raw: strings.Clone(raw), v: v, validUntil: validUntil.UnixNano()}
	return s.cache.put(e, now), nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Created is a key just made: the one time its whole string exists.
type Created struct {
	// Key is the whole key string, to be shown once and never again.
	Key string
	// Record is what the store keeps.
	Record *store.APIKey
}

// Create makes a key for email (canonical) named name, expiring at
// expires (zero: never), and emits api_key_created. The key string is in
// the result only.
func (s *Service) Create(ctx context.Context, email, name string, expires time.Time) (*Created, error) {
	name = strings.TrimSpace(text.Clean(strings.TrimSpace(name), MaxNameRunes))
	if name == "" {
		return nil, ErrInvalidName
	}
	now := time.Now()
	if !expires.IsZero() && !expires.After(now) {
		return nil, ErrInvalidExpiry
	}
	have, err := s.store.ListAPIKeys(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("creating an API key: %w", err)
	}
	if len(have) >= s.cfg.MaxPerUser {
		return nil, ErrTooMany
	}
	raw, id, err := generate()
	if err != nil {
		return nil, err
	}
	kid, sum := s.hasher.Hash(raw)
	rec := &store.APIKey{
		ID: id, Email: email, Name: name, Hash: sum, HashKeyID: kid,
		CreatedAt: now.UTC().Truncate(time.Millisecond), ExpiresAt: expires,
	}
	if err := s.store.CreateAPIKey(ctx, rec); err != nil {
		return nil, fmt.Errorf("creating an API key: %w", err)
	}
	data := map[string]any{"key_id": id, "key_name": name, "email": email}
	if !expires.IsZero() {
		data["expires_at"] = expires.UTC().Format(time.RFC3339)
	}
	s.events.Emit(ctx, event.New(event.APIKeyCreated, data))
	return &Created{Key: raw, Record: rec}, nil
}

// List returns the user's live keys, oldest first.
func (s *Service) List(ctx context.Context, email string) ([]*store.APIKey, error) {
	keys, err := s.store.ListAPIKeys(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("listing API keys of %s: %w", email, err)
	}
	return keys, nil
}

// Get returns the live key id, or an error wrapping store.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*store.APIKey, error) {
	k, err := s.store.GetAPIKey(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading API key %s: %w", id, err)
	}
	return k, nil
}

// Revoke deletes the key id, refuses it on this instance at once and on
// every other within the revocation delay, and emits api_key_revoked
// with by (an email, or "admin"). An unknown key is an error wrapping
// store.ErrNotFound.
//
// The revocation is published before the record is deleted, so that an
// error always leaves something a retry can finish: if publishing and
// deleting both fail nothing has changed (the key still works and is
// still listed), and if only deleting fails the key is already refused
// everywhere and its record is still there to revoke again. Deleting
// first would leave a key that other instances keep serving from their
// caches, with no record left for a retry to find.
//
// When publishing fails but deleting works (a Redis full under
// noeviction refuses the revocation's write, not the delete), the key is
// revoked all the same: refused here at once, and on every other
// instance when its cache of the key ends (at most its CacheTTL), as the
// record is gone. Refusing the revoke would leave the key working
// everywhere for as long as the store stays so.
func (s *Service) Revoke(ctx context.Context, id, by string) (*store.APIKey, error) {
	rec, err := s.store.GetAPIKey(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	now := time.Now()
	until := now.Add(MaxCacheTTL + revocationMargin)
	if !rec.ExpiresAt.IsZero() {
		until = minTime(until, rec.ExpiresAt.Add(revocationMargin))
	}
	ev := store.RevocationEvent{SessionID: RevocationID(id), Until: until}
	if perr := s.store.RevokeSession(ctx, ev.SessionID, until); perr != nil {
		if rec, err = s.store.DeleteAPIKey(ctx, id); err != nil {
			return nil, fmt.Errorf("publishing the revocation of API key %s: %w", id, perr)
		}
		s.log.Warn("an API key's revocation could not be published; its record is deleted, so other instances refuse it when their cache of it ends",
			zap.String("key_id", id), zap.Error(perr))
		s.revs.Apply(ev)
		s.cache.drop(id)
		s.emitRevoked(ctx, id, rec, by)
		return rec, nil
	}
	s.revs.Apply(ev)
	s.cache.drop(id)
	if rec, err = s.store.DeleteAPIKey(ctx, id); err != nil {
		return nil, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	s.emitRevoked(ctx, id, rec, by)
	return rec, nil
}

// emitRevoked emits api_key_revoked for key id (record rec), revoked by
// by.
func (s *Service) emitRevoked(ctx context.Context, id string, rec *store.APIKey, by string) {
	s.events.Emit(ctx, event.New(event.APIKeyRevoked, map[string]any{
		"key_id": id, "key_name": rec.Name, "email": rec.Email, "by": by,
	}))
}
