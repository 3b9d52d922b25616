package token

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store/memory"
)

// syncedRevocations runs a Revocations over a fresh memory store and
// returns it once the first snapshot is in.
func syncedRevocations(t testing.TB) *Revocations {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	r := NewRevocations(st, RevocationOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-r.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("revocations never synced")
	}
	return r
}

// TestHotPathAllocatesNothing is the allocation budget of a request with a
// valid, cached cookie: the cache lookup and the revocation check together
// allocate nothing.
func TestHotPathAllocatesNothing(t *testing.T) {
	for _, k := range []Key{hsKey(t, "hs"), edKey(t, "ed")} {
		t.Run(k.Alg, func(t *testing.T) {
			m := newManager(t, k)
			r := syncedRevocations(t)
			tok := mint(t, m, Identity{Email: "alice@example.com", SessionID: "sid-1", Groups: []string{"ops"}, Epoch: r.Epoch(),
				IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
			now := time.Now()
			if _, err := m.Verify(tok, now); err != nil {
				t.Fatal(err)
			}
			var verdict Verdict
			allocs := testing.AllocsPerRun(1000, func() {
				v, err := m.Verify(tok, now)
				if err != nil {
					panic(err)
				}
				verdict = r.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now)
			})
			if verdict != Allowed {
				t.Fatalf("Check = %s, want allowed", verdict)
			}
			if allocs != 0 {
				t.Fatalf("cached Verify + Check allocates %v times per request, want 0", allocs)
			}
		})
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	for _, k := range []Key{hsKey(b, "hs"), edKey(b, "ed")} {
		b.Run(k.Alg, func(b *testing.B) {
			m := newManager(b, k)
			now := time.Now()
			tok := mint(b, m, Identity{Email: "alice@example.com", SessionID: "c2Vzc2lvbi1pZC0xMjM0NQ",
				Groups: []string{"ops", "admins"}, IssuedAt: now, ExpiresAt: now.Add(12 * time.Hour)})
			if _, err := m.Verify(tok, now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.Verify(tok, now); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkVerifyUncached(b *testing.B) {
	for _, k := range []Key{hsKey(b, "hs"), edKey(b, "ed")} {
		b.Run(k.Alg, func(b *testing.B) {
			m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{k}, CacheSize: -1})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			tok := mint(b, m, Identity{Email: "alice@example.com", SessionID: "c2Vzc2lvbi1pZC0xMjM0NQ",
				Groups: []string{"ops", "admins"}, IssuedAt: now, ExpiresAt: now.Add(12 * time.Hour)})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Verify(tok, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	r := syncedRevocations(b)
	// A realistic set: many revoked sessions and bumped users.
	for i := 0; i < 10000; i++ {
		r.Apply(revokedSession(fmt.Sprintf("sid-%d", i), time.Now().Add(time.Hour)))
		r.Apply(bumped(fmt.Sprintf("user%d@example.com", i), 2))
	}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r.Check("c2Vzc2lvbi1pZC0xMjM0NQ", "alice@example.com", 0, r.Epoch(), now) != Allowed {
				b.Error("not allowed")
				return
			}
		}
	})
}

// BenchmarkHotPath is this package's share of a request with a valid
// cookie: a cache hit and a revocation check against a populated set.
func BenchmarkHotPath(b *testing.B) {
	m := newManager(b, hsKey(b, "hs"))
	r := syncedRevocations(b)
	for i := 0; i < 10000; i++ {
		r.Apply(revokedSession(fmt.Sprintf("sid-%d", i), time.Now().Add(time.Hour)))
	}
	now := time.Now()
	tok := mint(b, m, Identity{Email: "alice@example.com", SessionID: "c2Vzc2lvbi1pZC0xMjM0NQ",
		Groups: []string{"ops", "admins"}, Epoch: r.Epoch(), IssuedAt: now, ExpiresAt: now.Add(12 * time.Hour)})
	if _, err := m.Verify(tok, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v, err := m.Verify(tok, now)
			if err != nil || r.Check(v.SessionID, v.Email, v.Generation, v.Epoch, now) != Allowed {
				b.Error("hot path refused a valid token")
				return
			}
		}
	})
}
