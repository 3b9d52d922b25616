package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// An API key is a HASH: "data" holds its JSON as created (without the
// last-used time) and "last_used_ms" the unix milliseconds of its last
// use, which TouchAPIKey only moves forward.
const fieldLastUsedMS = "last_used_ms"

// touchSrc raises a HASH's last-used field, only if the HASH exists.
// KEYS[1] the key; ARGV[1] the time in ms. Returns 1 if the key exists.
const touchSrc = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local cur = tonumber(redis.call('HGET', KEYS[1], 'last_used_ms') or '0') or 0
if tonumber(ARGV[1]) > cur then redis.call('HSET', KEYS[1], 'last_used_ms', ARGV[1]) end
return 1
`

// CreateAPIKey stores k (expiring at its ExpiresAt, if set) and then adds
// it to its user's index, scored by creation time, and its user to the
// users set (other slots, so further steps; if one fails the key is
// removed again). ErrConflict if
// the id exists; an error if its expiry has passed.
func (s *Store) CreateAPIKey(ctx context.Context, k *store.APIKey) error {
	if err := s.check(); err != nil {
		return err
	}
	var ttl int64
	if !k.ExpiresAt.IsZero() {
		if ttl = time.Until(k.ExpiresAt).Milliseconds(); ttl <= 0 {
			return fmt.Errorf("redis store: creating API key that expired at %v", k.ExpiresAt)
		}
	}
	rec := *k
	rec.LastUsed = time.Time{}
	data, err := json.Marshal(&rec)
	if err != nil {
		return fmt.Errorf("redis store: encoding API key: %w", err)
	}
	key := s.apiKeyKey(k.ID)
	created, err := s.scripts.createHash.Run(ctx, s.pipe, []string{key}, ttl,
		fieldData, data, fieldLastUsedMS, lastUsedMS(k.LastUsed)).Int()
	if err != nil {
		return wrap("creating API key", err)
	}
	if created == 0 {
		return fmt.Errorf("redis store: creating API key: %w", store.ErrConflict)
	}
	err = s.client.ZAdd(ctx, s.apiKeysKey(k.Email), redis.Z{Score: float64(k.CreatedAt.UnixMilli()), Member: k.ID}).Err()
	if err == nil {
		// Listed among the users while the key lives, phone or not.
		err = s.client.SAdd(ctx, s.usersKey(), k.Email).Err()
	}
	if err != nil {
		err = wrap("indexing API key", err)
		if derr := s.client.Del(context.WithoutCancel(ctx), key).Err(); derr != nil {
			return errors.Join(err, wrap("undoing API key creation", derr))
		}
		return err
	}
	return nil
}

// lastUsedMS renders a last-used time for its field; the zero time is 0.
func lastUsedMS(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// GetAPIKey returns the live key, or ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	return oneHash(ctx, s, "API key", s.apiKeyKey(id), decodeAPIKey)
}

// decodeAPIKey rebuilds a key from its HASH fields.
func decodeAPIKey(fields map[string]string) (*store.APIKey, error) {
	var k store.APIKey
	if err := json.Unmarshal([]byte(fields[fieldData]), &k); err != nil {
		return nil, fmt.Errorf("redis store: decoding API key: %w", err)
	}
	if ms, err := strconv.ParseInt(fields[fieldLastUsedMS], 10, 64); err == nil && ms > 0 {
		k.LastUsed = time.UnixMilli(ms)
	}
	return &k, nil
}

// ListAPIKeys returns the user's live keys, oldest first (ties by id).
// Index entries whose key is gone (deleted, expired) or belongs to
// someone else are pruned.
func (s *Store) ListAPIKeys(ctx context.Context, email string) ([]*store.APIKey, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	// An expired key stays in the index (its hash expires with it) but
	// is not listed.
	all, err := indexedHashes(ctx, s, "API keys", s.apiKeysKey(email), s.apiKeyKey, decodeAPIKey,
		func(k *store.APIKey) bool { return k.Email == email })
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := all[:0]
	for _, k := range all {
		if k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b *store.APIKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// TouchAPIKey raises the key's last-used time to t in one script.
// ErrNotFound if there is no such key.
func (s *Store) TouchAPIKey(ctx context.Context, id string, t time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	found, err := s.scripts.touch.Run(ctx, s.pipe, []string{s.apiKeyKey(id)}, t.UnixMilli()).Int()
	if err != nil {
		return wrap("touching API key", err)
	}
	if found == 0 {
		return fmt.Errorf("redis store: touching API key: %w", store.ErrNotFound)
	}
	return nil
}

// takeHashSrc reads a HASH and deletes it in one step (a GETDEL for a
// HASH). A script rather than MULTI: a Redis at its maxmemory under
// noeviction refuses every command queued in a MULTI, reads and DEL
// included, while a script that only reads and deletes still runs, so
// a key can be revoked when Redis is full.
// KEYS[1] the key. Returns the fields as HGETALL does, empty if none.
const takeHashSrc = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then redis.call('DEL', KEYS[1]) end
return fields
`

// DeleteAPIKey removes the key (one script that reads and deletes it),
// then its index entry, and returns it. ErrNotFound if there is none; of
// concurrent deletes of one key exactly one succeeds.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) (*store.APIKey, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	list, err := s.scripts.takeHash.Run(ctx, s.pipe, []string{s.apiKeyKey(id)}).StringSlice()
	if err != nil {
		return nil, wrap("deleting API key", err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("redis store: deleting API key: %w", store.ErrNotFound)
	}
	fields := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		fields[list[i]] = list[i+1]
	}
	k, err := decodeAPIKey(fields)
	if err != nil {
		return nil, err
	}
	if err := s.client.ZRem(ctx, s.apiKeysKey(k.Email), id).Err(); err != nil {
		return nil, wrap("unindexing API key", err)
	}
	return k, nil
}
