package token

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// openRedisStore opens a store on r; several calls give independent
// instances over the same Redis, as several gateways would have.
func openRedisStore(t *testing.T, r *testenv.Redis) *redisstore.Store {
	t.Helper()
	st, err := redisstore.Open(r.URL(0), redisstore.Options{Prefix: "tokentest"})
	if err != nil {
		t.Fatalf("opening redis store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRedisRevocationOnOneInstanceReachesAnotherWithinASecond(t *testing.T) {
	srv := testenv.StartRedis(t)
	revoker, watcher := openRedisStore(t, srv), openRedisStore(t, srv)
	ctx := context.Background()
	if err := revoker.RevokeSession(ctx, "sid-before", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A resync period far beyond the test: only the subscription can
	// deliver what follows the first snapshot.
	r := NewRevocations(watcher, RevocationOptions{ResyncEvery: time.Hour, MaxStaleness: 4 * time.Hour})
	runRevocations(t, r)
	waitSynced(t, r)
	if got := r.Check("sid-before", "alice@example.com", 0, r.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("revocation in the first snapshot: Check = %s, want revoked", got)
	}
	eventually(t, 5*time.Second, "subscription up", func() bool { return r.subUp.Load() })

	if err := revoker.RevokeSession(ctx, "sid-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "session revoked on another instance", func() bool {
		return r.Check("sid-1", "alice@example.com", 0, r.Epoch(), time.Now()) == Revoked
	})
	gen, err := revoker.BumpGeneration(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "log out everywhere on another instance", func() bool {
		return r.Check("sid-2", "alice@example.com", gen-1, r.Epoch(), time.Now()) == Revoked
	})
	if got := r.Check("sid-2", "alice@example.com", gen, r.Epoch(), time.Now()); got != Allowed {
		t.Fatalf("token of the current generation: Check = %s, want allowed", got)
	}
}

func TestRedisStoppedTurnsChecksStale(t *testing.T) {
	srv := testenv.StartRedis(t)
	st := openRedisStore(t, srv)
	const maxStale = 500 * time.Millisecond
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 50 * time.Millisecond, MaxStaleness: maxStale})
	runRevocations(t, r)
	waitSynced(t, r)
	if got := r.Check("sid", "alice@example.com", 0, r.Epoch(), time.Now()); got != Allowed {
		t.Fatalf("Check with Redis up = %s, want allowed", got)
	}
	srv.Stop()
	stopped := time.Now()
	eventually(t, 10*time.Second, "Check turns stale after Redis stops", func() bool {
		return r.Check("sid", "alice@example.com", 0, r.Epoch(), time.Now()) == Stale
	})
	if last := r.LastSync(); last.After(stopped) {
		t.Fatalf("LastSync %v is after Redis stopped at %v", last, stopped)
	}
}

// countingRestores counts write-backs.
type countingRestores struct {
	*redisstore.Store
	restores atomic.Int32
}

func (c *countingRestores) RestoreRevocations(ctx context.Context, snap *store.RevocationSnapshot) error {
	c.restores.Add(1)
	return c.Store.RestoreRevocations(ctx, snap)
}

// TestAStoreThatKeptEverythingGetsNothingWrittenBack: Redis keeps
// milliseconds, the set nanoseconds; a revocation the store has must not
// look lost at every resync.
func TestAStoreThatKeptEverythingGetsNothingWrittenBack(t *testing.T) {
	srv := testenv.StartRedis(t)
	st := &countingRestores{Store: openRedisStore(t, srv)}
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: time.Minute})
	runRevocations(t, r)
	waitSynced(t, r)
	ctx := context.Background()
	until := time.Now().Add(time.Hour) // nanosecond precision
	if err := st.RevokeSession(ctx, "sid-kept", until); err != nil {
		t.Fatal(err)
	}
	r.Apply(revokedSession("sid-kept", until))
	gen, err := st.BumpGeneration(ctx, "kim@example.com")
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(bumped("kim@example.com", gen))
	time.Sleep(300 * time.Millisecond) // many resyncs
	if n := st.restores.Load(); n != 0 {
		t.Fatalf("%d write-backs to a store that lost nothing", n)
	}
}
