package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// Hit counts one hit on key in a fixed window, INCR and the window's
// expiry in one script: the first hit of a window sets its PTTL. It
// returns the count so far and the time until the window ends.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	if err := s.check(); err != nil {
		return 0, 0, err
	}
	ms, err := ttlMillis("counting hit", window)
	if err != nil {
		return 0, 0, err
	}
	res, err := s.scripts.hit.Run(ctx, s.pipe, []string{s.hitKey(key)}, ms).Int64Slice()
	if err != nil {
		return 0, 0, wrap("counting hit", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("redis store: counting hit: unexpected reply %v", res)
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

// Mark sets key for ttl with SET NX PX, or returns ErrConflict, changing
// nothing, if it is set.
func (s *Store) Mark(ctx context.Context, key string, ttl time.Duration) error {
	if err := s.check(); err != nil {
		return err
	}
	ms, err := ttlMillis("marking", ttl)
	if err != nil {
		return err
	}
	set, err := s.client.SetNX(ctx, s.markKey(key), "1", time.Duration(ms)*time.Millisecond).Result()
	if err != nil {
		return wrap("marking", err)
	}
	if !set {
		return fmt.Errorf("redis store: marking: %w", store.ErrConflict)
	}
	return nil
}

// MarkTTL returns how long key stays set, or ErrNotFound.
func (s *Store) MarkTTL(ctx context.Context, key string) (time.Duration, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	left, err := s.client.PTTL(ctx, s.markKey(key)).Result()
	if err != nil {
		return 0, wrap("reading mark", err)
	}
	if left <= 0 { // -2: no key; -1 (no TTL) never happens for a mark
		return 0, fmt.Errorf("redis store: reading mark: %w", store.ErrNotFound)
	}
	return left, nil
}

// Unmark clears key; clearing an unset key is not an error.
func (s *Store) Unmark(ctx context.Context, key string) error {
	if err := s.check(); err != nil {
		return err
	}
	return wrap("clearing mark", s.client.Del(ctx, s.markKey(key)).Err())
}
