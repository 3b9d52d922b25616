package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// TestAFullRedisStillReadsRevocations: a Redis at its maxmemory under
// noeviction refuses writes, but reading the revocations, which
// logged-in users' access hangs on once revocation_max_staleness
// passes, still works.
func TestAFullRedisStillReadsRevocations(t *testing.T) {
	r := testenv.StartRedisWith(t, "--maxmemory-policy", "noeviction")
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
	// Any memory in use is now over the limit.
	if err := s.Client().ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "sid-2", time.Now().Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a write to a full Redis: %v, want ErrUnavailable (else this test proves nothing)", err)
	}

	snap, err := s.Revocations(ctx)
	if err != nil {
		t.Fatalf("reading revocations from a full Redis: %v", err)
	}
	if snap.Epoch != before.Epoch {
		t.Fatalf("epoch %+v, want the one already there, %+v", snap.Epoch, before.Epoch)
	}
	if _, ok := snap.Sessions["sid-1"]; !ok {
		t.Fatalf("the revocation is missing from %v", snap.Sessions)
	}
}
