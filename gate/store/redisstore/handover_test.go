package redisstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// TestHandedOverLoginsGoToOneTakerEach: logins one instance hands over
// are taken soonest first, each by exactly one of the instances taking
// at once, and a login handed over twice is taken once.
func TestHandedOverLoginsGoToOneTakerEach(t *testing.T) {
	r := testenv.StartRedis(t)
	open := func() *redisstore.Store {
		s, err := redisstore.Open(r.URL(0), redisstore.Options{Prefix: "test:" + t.Name()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	ctx := t.Context()
	stopping := open()
	base := time.UnixMilli(time.Now().UnixMilli())
	var logins []store.WatchedLogin
	for i := range 2500 {
		logins = append(logins, store.WatchedLogin{ID: fmt.Sprintf("l%04d", i), End: base.Add(time.Duration(2500-i) * time.Millisecond)})
	}
	if err := stopping.HandOverExpiries(ctx, logins); err != nil {
		t.Fatal(err)
	}
	if err := stopping.HandOverExpiries(ctx, logins[:10]); err != nil {
		t.Fatal(err)
	}

	first, err := open().TakeHandedOverExpiries(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || first[0].ID != "l2499" || !first[0].End.Equal(base.Add(time.Millisecond)) || first[2].ID != "l2497" {
		t.Fatalf("first take %+v, want l2499, l2498, l2497 (soonest end first)", first)
	}
	seen := map[string]int{}
	for _, l := range first {
		seen[l.ID]++
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		taker := open()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := taker.TakeHandedOverExpiries(ctx, 100)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, l := range got {
					seen[l.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != len(logins) {
		t.Fatalf("%d distinct logins taken, want %d", len(seen), len(logins))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("login %s taken %d times", id, n)
		}
	}
}
