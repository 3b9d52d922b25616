package redisstore_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// TestConcurrentCallsShareSocketReads holds Redis still while 64 calls
// queue, then lets it go: the calls must reach it in shared batches (a
// handful of socket reads, not one or more per call) and each must still
// get its own reply.
func TestConcurrentCallsShareSocketReads(t *testing.T) {
	r, st := warmStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const calls = 64
	counts := make([]int64, calls)
	errs := make([]error, calls)
	d := heldCalls(t, r, calls, func(i int) {
		counts[i], _, errs[i] = st.Hit(ctx, "shared", time.Minute)
	})

	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i] < counts[j] })
	for i, n := range counts {
		if n != int64(i+1) {
			t.Fatalf("counts = %v, want 1..%d each once", counts, calls)
		}
	}
	t.Logf("%d concurrent calls: %s", calls, d)
	// One read for the INFO that ends the measurement; the calls must
	// share the rest.
	if d.Reads > calls/4 {
		t.Errorf("%d socket reads for %d concurrent calls, want at most %d: the calls are not batched", d.Reads, calls, calls/4)
	}
}

// TestABatchedCallKeepsItsDeadline: a call whose context ends while
// Redis is stalled returns ErrUnavailable when its deadline passes, not
// when Redis comes back.
func TestABatchedCallKeepsItsDeadline(t *testing.T) {
	r, st := warmStore(t)
	ctx := stalledCall(t, r, "Hit", func(ctx context.Context) error {
		_, _, err := st.Hit(ctx, "stalled", time.Minute)
		return err
	})
	if _, err := st.GetLogin(ctx, "stalled"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("GetLogin after the deadline: err = %v, want ErrUnavailable", err)
	}
}

// heldCalls pauses r, starts call(i) for each i below n at once, lets r
// go once they queued, and returns what Redis did meanwhile.
func heldCalls(t *testing.T, r *testenv.Redis, n int, call func(i int)) testenv.RedisStats {
	t.Helper()
	before := r.Stats(t)
	r.Pause(t)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { call(i) })
	}
	time.Sleep(300 * time.Millisecond)
	r.Resume(t)
	wg.Wait()
	return r.Stats(t).Since(before)
}

// stalledCall pauses r and runs call with a 300 ms deadline: it must
// return ErrUnavailable within 700 ms. It returns call's context, ended.
func stalledCall(t *testing.T, r *testenv.Redis, what string, call func(ctx context.Context) error) context.Context {
	t.Helper()
	r.Pause(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	t.Cleanup(cancel)
	begin := time.Now()
	err := call(ctx)
	took := time.Since(begin)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("%s on a stalled Redis: err = %v, want ErrUnavailable", what, err)
	}
	if took > 700*time.Millisecond {
		t.Fatalf("%s with a 300 ms deadline returned after %v", what, took)
	}
	return ctx
}

// warmStore returns a store on a redis-server of its own that has loaded
// the counter's script and holds a connection, so a test that stops the
// server measures its calls, not the first call's script load or dial.
func warmStore(t *testing.T) (*testenv.Redis, *redisstore.Store) {
	t.Helper()
	r := testenv.StartRedis(t)
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, _, err := st.Hit(context.Background(), "warm", time.Minute); err != nil {
		t.Fatal(err)
	}
	return r, st
}
