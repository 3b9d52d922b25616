package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// handoverKeep is how long logins handed over wait to be taken: far past
// any login's window and retention, after which reading one finds nothing.
const handoverKeep = 24 * time.Hour

// handoverBatch bounds the logins one ZADD carries.
const handoverBatch = 1000

// handoverKey is the sorted set of logins handed over by stopped
// instances, scored by the end of their window in Unix milliseconds.
func (s *Store) handoverKey() string { return s.prefix + ":{expiries}:handed" }

// HandOverExpiries keeps logins in one sorted set for any instance to
// take; the set lives handoverKeep after the last hand-over.
func (s *Store) HandOverExpiries(ctx context.Context, logins []store.WatchedLogin) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(logins) == 0 {
		return nil
	}
	key := s.handoverKey()
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(logins); start += handoverBatch {
			batch := logins[start:min(start+handoverBatch, len(logins))]
			zs := make([]redis.Z, len(batch))
			for i, l := range batch {
				zs[i] = redis.Z{Score: float64(l.End.UnixMilli()), Member: l.ID}
			}
			p.ZAdd(ctx, key, zs...)
		}
		p.PExpire(ctx, key, handoverKeep)
		return nil
	})
	return wrap("handing over pending logins", err)
}

// TakeHandedOverExpiries pops up to max logins handed over, soonest end
// first; Redis gives each to one caller.
func (s *Store) TakeHandedOverExpiries(ctx context.Context, max int) ([]store.WatchedLogin, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if max <= 0 {
		return nil, nil
	}
	zs, err := s.client.ZPopMin(ctx, s.handoverKey(), int64(max)).Result()
	if err != nil {
		return nil, wrap("taking pending logins handed over", err)
	}
	out := make([]store.WatchedLogin, 0, len(zs))
	for _, z := range zs {
		id, ok := z.Member.(string)
		if !ok {
			continue
		}
		out = append(out, store.WatchedLogin{ID: id, End: time.UnixMilli(int64(z.Score))})
	}
	return out, nil
}

var _ store.ExpiryHandover = (*Store)(nil)
