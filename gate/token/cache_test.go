package token

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestCacheHitDoesNotReparse(t *testing.T) {
	m := newManager(t, hsKey(t, "k"))
	tok := mint(t, m, alice())
	first, err := m.Verify(tok, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Verify(tok, t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.parses.Load(); got != 1 {
		t.Fatalf("parsed %d times for two verifications, want 1", got)
	}
	if first != second {
		t.Fatal("a cache hit returned a different *Verified")
	}
}

func TestCacheEntryCountsOnlyUntilExp(t *testing.T) {
	m := newManager(t, hsKey(t, "k"))
	id := alice()
	tok := mint(t, m, id)
	exp := id.ExpiresAt
	if _, err := m.Verify(tok, exp.Add(-time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(tok, exp.Add(-time.Nanosecond)); err != nil {
		t.Fatal(err)
	}
	if got := m.parses.Load(); got != 1 {
		t.Fatalf("parses before exp = %d, want 1", got)
	}
	// At exp the cache no longer answers; the parser still accepts within
	// the leeway, and does not cache a token already past exp.
	for i := 0; i < 2; i++ {
		if _, err := m.Verify(tok, exp); err != nil {
			t.Fatalf("Verify at exp, within leeway = %v", err)
		}
	}
	if got := m.parses.Load(); got != 3 {
		t.Fatalf("parses after exp = %d, want 3 (each call reparses)", got)
	}
	if _, err := m.Verify(tok, exp.Add(DefaultLeeway+time.Second)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Verify past exp and leeway = %v, want ErrInvalid", err)
	}
}

func TestCacheEntryDoesNotCountBeforeTheTokenIsValid(t *testing.T) {
	m := newManager(t, hsKey(t, "k"))
	tok := mint(t, m, alice())
	if _, err := m.Verify(tok, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(tok, t0.Add(-DefaultLeeway-time.Second)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Verify before nbf-leeway with the token cached = %v, want ErrInvalid", err)
	}
}

func TestCacheIsBounded(t *testing.T) {
	for _, size := range []int{1, 3, 600} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hsKey(t, "k")}, CacheSize: size})
			if err != nil {
				t.Fatal(err)
			}
			id := alice()
			for i := 0; i < size*2+10; i++ {
				id.SessionID = fmt.Sprintf("sid-%d", i)
				if _, err := m.Verify(mint(t, m, id), t0); err != nil {
					t.Fatal(err)
				}
				if n := m.cache.len(); n > size {
					t.Fatalf("cache holds %d entries, bound %d", n, size)
				}
			}
			if n := m.cache.len(); n == 0 {
				t.Fatal("cache holds nothing after verifying tokens")
			}
		})
	}
}

func TestCacheKeepsAHotTokenOverColdOnes(t *testing.T) {
	m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hsKey(t, "k")}, CacheSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	hot := mint(t, m, alice())
	id := alice()
	for i := 0; i < 20; i++ {
		if _, err := m.Verify(hot, t0); err != nil {
			t.Fatal(err)
		}
		id.SessionID = fmt.Sprintf("cold-%d", i)
		if _, err := m.Verify(mint(t, m, id), t0); err != nil {
			t.Fatal(err)
		}
	}
	// The hot token was parsed once; every later use was a hit because a
	// referenced entry gets a second chance.
	before := m.parses.Load()
	if _, err := m.Verify(hot, t0); err != nil {
		t.Fatal(err)
	}
	if m.parses.Load() != before {
		t.Fatal("the token used on every round was evicted")
	}
}

func TestCacheOffWhenSizeNegative(t *testing.T) {
	m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hsKey(t, "k")}, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, m, alice())
	for i := 0; i < 3; i++ {
		if _, err := m.Verify(tok, t0); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.parses.Load(); got != 3 {
		t.Fatalf("parses = %d with the cache off, want 3", got)
	}
}

func TestCacheUnderConcurrentUse(t *testing.T) {
	m, err := NewManager(Config{Issuer: testIssuer, Audience: testAudience, Keys: []Key{hsKey(t, "k")}, CacheSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, 16)
	for i := range tokens {
		id := alice()
		id.SessionID = fmt.Sprintf("sid-%d", i)
		tokens[i] = mint(t, m, id)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				want := fmt.Sprintf("sid-%d", (i+g)%len(tokens))
				v, err := m.Verify(tokens[(i+g)%len(tokens)], t0)
				if err != nil || v.SessionID != want {
					errs <- fmt.Errorf("Verify = %v, %v; want session %s", v, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := m.cache.len(); n > 8 {
		t.Fatalf("cache holds %d entries, bound 8", n)
	}
}
