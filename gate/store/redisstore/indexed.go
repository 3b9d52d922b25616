package redisstore

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/gate/store"

	"github.com/redis/go-redis/v9"
)

// indexedHashes reads the records a user's index names: the ids in the
// sorted set index and, in one pipeline, each id's hash at keyOf(id).
// Each record is decoded; keep says whether a decoded record belongs to
// the user. Ids whose hash is gone, or whose record keep refuses, are
// removed from the index. what names the records in errors ("devices").
func indexedHashes[T any](ctx context.Context, s *Store, what, index string, keyOf func(string) string,
	decode func(map[string]string) (T, error), keep func(T) bool) ([]T, error) {
	ids, err := s.client.ZRange(ctx, index, 0, -1).Result()
	if err != nil {
		return nil, wrap("listing "+what, err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, keyOf(id))
		}
		return nil
	})
	if err != nil {
		return nil, wrap("listing "+what, err)
	}
	out := make([]T, 0, len(ids))
	var stale []any
	for i, cmd := range cmds {
		fields := cmd.Val()
		if len(fields) == 0 {
			stale = append(stale, ids[i])
			continue
		}
		rec, err := decode(fields)
		if err != nil {
			return nil, err
		}
		if !keep(rec) {
			stale = append(stale, ids[i])
			continue
		}
		out = append(out, rec)
	}
	if len(stale) > 0 {
		if err := s.client.ZRem(ctx, index, stale...).Err(); err != nil {
			return nil, wrap("pruning the index of "+what, err)
		}
	}
	return out, nil
}

// oneHash reads the record whose hash is at key and decodes it, or
// returns ErrNotFound when there is none. what names it in errors
// ("device").
func oneHash[T any](ctx context.Context, s *Store, what, key string, decode func(map[string]string) (T, error)) (T, error) {
	var zero T
	if err := s.check(); err != nil {
		return zero, err
	}
	fields, err := s.pipe.hgetall(ctx, key).Result()
	if err != nil {
		return zero, wrap("reading "+what, err)
	}
	if len(fields) == 0 {
		return zero, fmt.Errorf("redis store: reading %s: %w", what, store.ErrNotFound)
	}
	return decode(fields)
}
