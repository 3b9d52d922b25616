package apikey

import (
	"context"
	"testing"
	"time"
)

// BenchmarkAuthenticateCached is this package's share of a request with
// a warm key, on every core at once: a cache hit, a revocation check and
// the key's rate-limit bucket.
func BenchmarkAuthenticateCached(b *testing.B) {
	in := newInstance(b, newMemory(b), Config{RateLimit: 1 << 30})
	ctx := context.Background()
	c, err := in.svc.Create(ctx, "alice@example.com", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAuthenticateCold is a first sight of a key: a store read
// (memory) and the HMAC check.
func BenchmarkAuthenticateCold(b *testing.B) {
	in := newInstance(b, newMemory(b), Config{RateLimit: -1, CacheSize: 1})
	ctx := context.Background()
	c, err := in.svc.Create(ctx, "alice@example.com", "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.svc.cache.drop(c.Record.ID)
		if _, err := in.svc.Authenticate(ctx, c.Key, "192.0.2.1", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
