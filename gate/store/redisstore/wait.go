package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// DefaultWaitTimeout is how long a write waits for its replicas when
// Options.WaitReplicas is set and Options.WaitTimeout is zero.
const DefaultWaitTimeout = 500 * time.Millisecond

// replicated returns once Options.WaitReplicas replicas hold every write
// this store made before the call, or an error wrapping
// store.ErrUnavailable when fewer confirm within Options.WaitTimeout. It
// does nothing when WaitReplicas is zero.
//
// WAIT counts the writes of its own connection; the store's writes may
// have gone over others from the pool. So it writes a scratch key on the
// connection it then waits on: the replication stream is ordered, and a
// replica that holds the scratch write holds everything written before
// it.
func (s *Store) replicated(ctx context.Context, op string) error {
	if s.waitReplicas <= 0 {
		return nil
	}
	var acked *redis.Cmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.waitKey(), "1", time.Minute)
		acked = p.Do(ctx, "WAIT", s.waitReplicas, s.waitTimeout.Milliseconds())
		return nil
	})
	if err != nil {
		return wrap(op+": waiting for replicas", err)
	}
	n, err := acked.Int64()
	if err != nil {
		return wrap(op+": waiting for replicas", err)
	}
	if n < int64(s.waitReplicas) {
		return fmt.Errorf("redis store: %s: %d of %d replicas confirmed the write within %v: %w",
			op, n, s.waitReplicas, s.waitTimeout, store.ErrUnavailable)
	}
	return nil
}
