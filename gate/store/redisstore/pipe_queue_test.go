package redisstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/internal/testenv"
)

// TestAFullQueueFailsAtOnce: while Redis stalls, a call past the queue's
// bound fails at once as unavailable instead of joining the queue, and
// the calls already queued get their answers once Redis runs again.
func TestAFullQueueFailsAtOnce(t *testing.T) {
	r := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: r.Addr})
	t.Cleanup(func() { client.Close() })
	const limit = 4
	p := newPipe(client, limit)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of a missing key: %v", err)
	}

	r.Pause(t) // resumed below, and by its cleanup if the test fails first
	var wg sync.WaitGroup
	errs := make([]error, limit)
	for i := range limit {
		wg.Go(func() { errs[i] = p.get(ctx, "k").Err() })
	}
	time.Sleep(300 * time.Millisecond)
	begin := time.Now()
	err := p.get(ctx, "k").Err()
	took := time.Since(begin)
	if !errors.Is(err, redis.ErrAutoPipelineQueueFull) || !errors.Is(wrap("reading", err), store.ErrUnavailable) {
		t.Fatalf("a call past the bound: %v (as the store reports it: %v), want a full queue, unavailable", err, wrap("reading", err))
	}
	if took > 500*time.Millisecond { // a queued call would wait for ctx (10 s)
		t.Fatalf("a call past the bound failed after %v, want at once", took)
	}

	r.Resume(t)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, redis.Nil) {
			t.Fatalf("queued call %d: %v, want its answer (nil reply)", i, err)
		}
	}
}
