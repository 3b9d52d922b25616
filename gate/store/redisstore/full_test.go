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

// TestAFullRedisStillReadsRevocationsAndRevokesKeys: a Redis at its
// maxmemory under noeviction refuses writes, but reading the revocations,
// which logged-in users' access hangs on once revocation_max_staleness
// passes, and revoking an API key, which frees memory, still work.
func TestAFullRedisStillReadsRevocationsAndRevokesKeys(t *testing.T) {
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
	key := &store.APIKey{ID: "key-full", Email: "a@example.com", Name: "cron",
		Hash: []byte{1, 2, 3}, HashKeyID: "kid-1", CreatedAt: time.Now().Truncate(time.Millisecond)}
	if err := s.CreateAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}

	if err := s.CheckWrites(ctx); err != nil {
		t.Fatalf("CheckWrites before Redis is full: %v", err)
	}
	// Any memory in use is now over the limit.
	if err := s.Client().ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "sid-2", time.Now().Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a write to a full Redis: %v, want ErrUnavailable (else this test proves nothing)", err)
	}
	if err := s.CheckWrites(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("CheckWrites on a full Redis: %v, want ErrUnavailable", err)
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

	got, err := s.DeleteAPIKey(ctx, key.ID)
	if err != nil {
		t.Fatalf("revoking an API key in a full Redis: %v", err)
	}
	if got.ID != key.ID || got.Email != key.Email {
		t.Fatalf("deleted %+v, want %+v", got, key)
	}
	if _, err := s.GetAPIKey(ctx, key.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the revoked key is still there: %v", err)
	}
	if _, err := s.DeleteAPIKey(ctx, key.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting it again: %v, want ErrNotFound", err)
	}
}
