package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// TestAFlushedStoreHasANewEpoch: the epoch marker goes with the data, and
// the next snapshot writes a new one.
func TestAFlushedStoreHasANewEpoch(t *testing.T) {
	r := testenv.StartRedis(t)
	s, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	before, err := s.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "sid-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	after, err := s.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Epoch.ID == 0 || after.Epoch.ID == before.Epoch.ID {
		t.Fatalf("epoch after FLUSHALL = %d, before %d: want a new one", after.Epoch.ID, before.Epoch.ID)
	}
	if _, ok := after.Sessions["sid-1"]; ok {
		t.Fatal("the flushed revocation is still there")
	}
	again, err := s.Revocations(ctx)
	if err != nil || again.Epoch != after.Epoch {
		t.Fatalf("the new epoch did not stay: %+v then %+v (%v)", after.Epoch, again.Epoch, err)
	}
}

// TestWaitReplicasFailsUnavailableWithoutReplicas: a write the configured
// replicas do not confirm is reported as a failure, not a success.
func TestWaitReplicasFailsUnavailableWithoutReplicas(t *testing.T) {
	r := testenv.StartRedis(t)
	s, err := redisstore.Open(r.URL(0)+"?wait_replicas=1&wait_timeout=100ms", redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	started := time.Now()
	err = s.RevokeSession(ctx, "sid-1", time.Now().Add(time.Hour))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("RevokeSession with no replica: %v, want ErrUnavailable", err)
	}
	if d := time.Since(started); d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("the wait took %v, want about the 100ms timeout", d)
	}
	if _, err := s.BumpGeneration(ctx, "a@example.com"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("BumpGeneration with no replica: %v, want ErrUnavailable", err)
	}
	if _, err := s.Revocations(ctx); err != nil {
		t.Fatalf("a read waits for nothing: %v", err)
	}
}

// TestWaitParamsAreTheStoresOwn: wait_replicas and wait_timeout are taken
// out of the URL before go-redis reads it, and bad values are refused.
func TestWaitParamsAreTheStoresOwn(t *testing.T) {
	for _, bad := range []string{"wait_replicas=-1", "wait_replicas=x", "wait_timeout=0s", "wait_timeout=soon"} {
		if _, err := redisstore.Open("redis://127.0.0.1:1/0?"+bad, redisstore.Options{}); err == nil {
			t.Errorf("Open accepted %s", bad)
		}
	}
	if _, err := redisstore.Open("redis+cluster://127.0.0.1:1?wait_replicas=1", redisstore.Options{}); err == nil {
		t.Error("Open accepted wait_replicas on a Cluster URL")
	}
	s, err := redisstore.Open("redis://127.0.0.1:1/0?wait_replicas=2&wait_timeout=1s&dial_timeout=1s", redisstore.Options{})
	if err != nil {
		t.Fatalf("Open with wait parameters and a go-redis one: %v", err)
	}
	defer s.Close()
	if opts := s.Client().(*redis.Client).Options(); opts.DialTimeout != time.Second {
		t.Fatalf("go-redis parameters lost: dial timeout %v", opts.DialTimeout)
	}
}
