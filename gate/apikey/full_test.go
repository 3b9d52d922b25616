package apikey

import (
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// TestAKeyCanBeRevokedWhileRedisIsFull: a Redis at its maxmemory under
// noeviction refuses the write that publishes a revocation, but still
// deletes a key's record. Revoking a key (a leaked one, say) must still
// work then: the revoking instance refuses it at once, the record is
// gone, so every other instance refuses it when its cache of the key
// ends, and api_key_revoked goes out. Before, the revoke failed and the
// key went on working everywhere for as long as Redis stayed full.
func TestAKeyCanBeRevokedWhileRedisIsFull(t *testing.T) {
	r := testenv.StartRedisWith(t, "--maxmemory-policy", "noeviction")
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := newInstance(t, st, Config{})
	b := newInstance(t, st, Config{})
	ctx := t.Context()
	c, err := a.svc.Create(ctx, "alice@example.com", "leaked", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(ctx, c.Key, "", time.Now()); err != nil {
		t.Fatal(err) // B has it cached now
	}
	if err := st.Client().ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeSession(ctx, "probe", time.Now().Add(time.Minute)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a write to the full Redis: %v, want ErrUnavailable (else this test proves nothing)", err)
	}

	if _, err := a.svc.Revoke(ctx, c.Record.ID, "admin"); err != nil {
		t.Fatalf("revoking a key while Redis is full: %v", err)
	}
	if _, err := a.svc.Authenticate(ctx, c.Key, "", time.Now()); err == nil {
		t.Fatal("the revoking instance still accepts the key")
	}
	if _, err := st.GetAPIKey(ctx, c.Record.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the revoked key's record: %v, want it gone", err)
	}
	b.svc.cache.drop(c.Record.ID) // as when B's cache of the key ends
	if _, err := b.svc.Authenticate(ctx, c.Key, "", time.Now()); err == nil {
		t.Fatal("another instance accepts the key once its cache of it ended")
	}
	if got := a.events.ofType(event.APIKeyRevoked); len(got) != 1 || got[0].Data["by"] != "admin" {
		t.Fatalf("api_key_revoked events %v, want one by admin", got)
	}
}
