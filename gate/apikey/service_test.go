package apikey

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

func TestAWarmKeyIsVerifiedFromMemory(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{})
	ctx := t.Context()
	c, err := in.svc.Create(ctx, "alice@example.com", "  CI deploy\x1b ", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Record.Name != "CI deploy" || string(c.Record.Hash) == c.Key || strings.Contains(string(c.Record.Hash), c.Key) {
		t.Fatalf("record %+v", c.Record)
	}
	for i := range 50 {
		v, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now())
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if v.Email != "alice@example.com" || v.ID != c.Record.ID || v.GroupsHeader != "devs,ops" {
			t.Fatalf("verified %+v", v)
		}
	}
	if n := in.st.gets.Load(); n != 1 {
		t.Fatalf("50 requests read the key from the store %d times, want 1", n)
	}
	if got := in.events.ofType(event.APIKeyCreated); len(got) != 1 || got[0].Data["key_id"] != c.Record.ID {
		t.Fatalf("api_key_created events %v", got)
	}
}

func TestWrongUnknownAndMalformedKeysAreInvalid(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{})
	ctx := t.Context()
	c, _ := in.svc.Create(ctx, "alice@example.com", "k", time.Time{})
	forged := c.Key[:KeyLen-2] + "AA" // right id, wrong secret
	if forged == c.Key {
		forged = c.Key[:KeyLen-2] + "BA"
	}
	unknown, _, _ := generate()
	for name, raw := range map[string]string{
		"forged secret": forged, "unknown": unknown, "malformed": "ag_nope", "empty": "",
	} {
		if _, err := in.svc.Authenticate(ctx, raw, "192.0.2.1", time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// A failure is never cached: the real key still works.
	if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestAnExpiredKeyIsRefusedEvenWhenCached(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{})
	ctx := t.Context()
	exp := time.Now().Add(300 * time.Millisecond)
	c, err := in.svc.Create(ctx, "bob@example.com", "short", exp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Authenticate(ctx, c.Key, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Authenticate(ctx, c.Key, "", exp); !errors.Is(err, ErrInvalid) {
		t.Fatalf("at its expiry: %v, want ErrInvalid", err)
	}
	if _, err := in.svc.Create(ctx, "bob@example.com", "past", time.Now().Add(-time.Second)); !errors.Is(err, ErrInvalidExpiry) {
		t.Fatalf("creating an expired key: %v", err)
	}
}

func TestRevocationReachesAnotherInstanceWithinASecond(t *testing.T) {
	st := newMemory(t)
	a := newInstance(t, st, Config{})
	b := newInstance(t, st, Config{})
	ctx := t.Context()
	c, _ := a.svc.Create(ctx, "alice@example.com", "k", time.Time{})
	if _, err := b.svc.Authenticate(ctx, c.Key, "", time.Now()); err != nil {
		t.Fatal(err) // B has it cached now
	}
	if _, err := a.svc.Revoke(ctx, c.Record.ID, "alice@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.Authenticate(ctx, c.Key, "", time.Now()); err == nil {
		t.Fatal("the revoking instance still accepts the key")
	}
	start := time.Now()
	eventually(t, time.Second, "instance B to refuse the revoked key", func() bool {
		_, err := b.svc.Authenticate(ctx, c.Key, "", time.Now())
		return errors.Is(err, ErrRevoked)
	})
	t.Logf("B refused the key %v after the revocation", time.Since(start))
	if got := a.events.ofType(event.APIKeyRevoked); len(got) != 1 || got[0].Data["by"] != "alice@example.com" {
		t.Fatalf("api_key_revoked events %v", got)
	}
	// Once B's cache entry is gone, the missing record refuses it.
	b.svc.cache.drop(c.Record.ID)
	if _, err := b.svc.Authenticate(ctx, c.Key, "", time.Now()); err == nil {
		t.Fatal("B accepts the key after reloading it")
	}
	if _, err := a.svc.Revoke(ctx, c.Record.ID, "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking twice: %v, want ErrNotFound", err)
	}
}

func TestAStaleRevocationSetFailsClosed(t *testing.T) {
	st := newMemory(t)
	in := newInstance(t, st, Config{})
	c, _ := in.svc.Create(t.Context(), "alice@example.com", "k", time.Time{})
	later := time.Now().Add(time.Hour) // far beyond the set's last confirmation
	if _, err := in.svc.Authenticate(t.Context(), c.Key, "", later); !errors.Is(err, ErrStale) {
		t.Fatalf("with a stale revocation set: %v, want ErrStale", err)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{RateLimit: 5, RateWindow: time.Second})
	ctx := t.Context()
	c1, _ := in.svc.Create(ctx, "alice@example.com", "one", time.Time{})
	c2, _ := in.svc.Create(ctx, "alice@example.com", "two", time.Time{})
	now := time.Now()
	for i := range 5 {
		if _, err := in.svc.Authenticate(ctx, c1.Key, "", now); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	_, err := in.svc.Authenticate(ctx, c1.Key, "", now)
	var limit *LimitError
	if !errors.As(err, &limit) || limit.RetryAfter <= 0 || limit.RetryAfter > 250*time.Millisecond {
		t.Fatalf("over the burst: %v", err)
	}
	if _, err := in.svc.Authenticate(ctx, c2.Key, "", now); err != nil {
		t.Fatalf("another key of the same user is limited too: %v", err)
	}
	if _, err := in.svc.Authenticate(ctx, c1.Key, "", now.Add(limit.RetryAfter)); err != nil {
		t.Fatalf("after RetryAfter: %v", err)
	}
}

func TestUseFromANewAddressIsAnEventOnceAcrossInstances(t *testing.T) {
	st := newMemory(t)
	a := newInstance(t, st, Config{})
	b := newInstance(t, st, Config{})
	ctx := t.Context()
	c, _ := a.svc.Create(ctx, "alice@example.com", "k", time.Time{})
	for range 3 {
		for _, in := range []*instance{a, b} {
			if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.7", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, _ = b.svc.Authenticate(ctx, c.Key, "198.51.100.9", time.Now())
	used := func() []event.Event {
		return append(a.events.ofType(event.APIKeyUsed), b.events.ofType(event.APIKeyUsed)...)
	}
	eventually(t, 2*time.Second, "two api_key_used events", func() bool { return len(used()) == 2 })
	time.Sleep(100 * time.Millisecond)
	got := used()
	if len(got) != 2 || got[0].Data["ip"] == got[1].Data["ip"] {
		t.Fatalf("api_key_used events %v, want one per address", got)
	}
	eventually(t, 2*time.Second, "last used to be recorded", func() bool {
		k, err := st.GetAPIKey(ctx, c.Record.ID)
		return err == nil && !k.LastUsed.IsZero()
	})
}

func TestCreateChecksNameAndCount(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{MaxPerUser: 2})
	ctx := t.Context()
	if _, err := in.svc.Create(ctx, "a@example.com", " \x00\u200b ", time.Time{}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("blank name: %v", err)
	}
	long, err := in.svc.Create(ctx, "a@example.com", strings.Repeat("n", 100), time.Time{})
	if err != nil || len([]rune(long.Record.Name)) != MaxNameRunes {
		t.Fatalf("long name: %v %q", err, long.Record.Name)
	}
	if _, err := in.svc.Create(ctx, "a@example.com", "two", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Create(ctx, "a@example.com", "three", time.Time{}); !errors.Is(err, ErrTooMany) {
		t.Fatalf("third key over a limit of 2: %v", err)
	}
}

func TestWarmAuthenticateAllocatesNothing(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{RateLimit: -1})
	c, _ := in.svc.Create(context.Background(), "alice@example.com", "k", time.Time{})
	ctx := context.Background()
	if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("a warm Authenticate allocates %v times", n)
	}
}

func TestAKeyOfAnOwnerGoneFromTheDirectoryIsRefused(t *testing.T) {
	in := newInstance(t, newMemory(t), Config{})
	ctx := t.Context()
	gone, _ := in.svc.Create(ctx, "gone@example.com", "k", time.Time{})
	if _, err := in.svc.Authenticate(ctx, gone.Key, "", time.Now()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a key of a user the directory lacks: %v, want ErrInvalid", err)
	}
	down, _ := in.svc.Create(ctx, "down@example.com", "k", time.Time{})
	_, err := in.svc.Authenticate(ctx, down.Key, "", time.Now())
	if err == nil || errors.Is(err, ErrInvalid) || !errors.Is(err, errDirectoryDown) {
		t.Fatalf("with the directory down: %v, want its error (a 503, not a 401 or a pass)", err)
	}
}

// A revocation outlives the longest cache any instance may have, so an
// instance that trusts keys longer than the revoking one never serves a
// revoked key from memory after the revocation is forgotten.
func TestARevocationOutlivesEveryInstancesCache(t *testing.T) {
	st := newMemory(t)
	a := newInstance(t, st, Config{CacheTTL: time.Minute})
	ctx := t.Context()
	c, _ := a.svc.Create(ctx, "alice@example.com", "k", time.Time{})
	before := time.Now()
	if _, err := a.svc.Revoke(ctx, c.Record.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	until, ok := snap.Sessions[RevocationID(c.Record.ID)]
	if !ok || until.Before(before.Add(MaxCacheTTL)) {
		t.Fatalf("the revocation lasts until %v (found %v), want at least %v", until, ok, before.Add(MaxCacheTTL))
	}
	long := Config{CacheTTL: 3 * time.Hour}
	long.defaults()
	if long.CacheTTL != MaxCacheTTL {
		t.Fatalf("a CacheTTL of 3h became %v, want the cap %v", long.CacheTTL, MaxCacheTTL)
	}
}
