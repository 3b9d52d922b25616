package caddymodule

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/internal/testenv"
)

func TestStoredReceiversMoveIntoRedisOnce(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	r := newSharedReceivers(rdb, "mig:{webhooks}")
	old := []storedWebhook{{ID: "wh_1", URL: "https://a.example/hook", Secret: "s1"}, {ID: "wh_2", URL: "https://b.example/hook", Secret: "s2"}}
	r.fromStorage = old
	if _, err := r.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := r.load(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("after migrating: %v %v", list, err)
	}
	for _, id := range []string{"wh_1", "wh_2"} {
		if ok, err := r.delete(ctx, id); !ok || err != nil {
			t.Fatalf("deleting %s: %v %v", id, ok, err)
		}
	}
	// Another instance starting later must not bring the removed ones back.
	later := newSharedReceivers(rdb, "mig:{webhooks}")
	later.fromStorage = old
	if _, err := later.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if list, err := r.load(ctx); err != nil || len(list) != 0 {
		t.Fatalf("removed receivers came back: %v %v", list, err)
	}
}

// TestReceiversRedisLostAreWrittenBack empties Redis under an instance
// that knows a receiver: its next pass writes the receiver back (Redis
// losing its data must not silently stop deliveries), while with the
// data intact a receiver removed elsewhere stays removed.
func TestReceiversRedisLostAreWrittenBack(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	r := newSharedReceivers(rdb, "lost:{webhooks}")
	if _, err := r.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r.migrateOnce = true
	kept := storedWebhook{ID: "wh_kept", URL: "https://a.example/hook", Secret: "s1"}
	if _, err := r.putWithin(ctx, kept, 0); err != nil {
		t.Fatal(err)
	}
	r.mark(kept)
	if wrote, err := r.migrate(ctx); wrote || err != nil {
		t.Fatalf("with Redis intact: wrote back %v, %v", wrote, err)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if wrote, err := r.migrate(ctx); !wrote || err != nil {
		t.Fatalf("after a flush: wrote back %v, %v", wrote, err)
	}
	list, err := r.load(ctx)
	if err != nil || len(list) != 1 || list[0].ID != kept.ID || list[0].Secret != kept.Secret {
		t.Fatalf("after the write-back: %+v %v", list, err)
	}
	if ok, err := r.delete(ctx, kept.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if wrote, err := r.migrate(ctx); wrote || err != nil {
		t.Fatalf("a removal with Redis intact: wrote back %v, %v", wrote, err)
	}
	if list, _ := r.load(ctx); len(list) != 0 {
		t.Fatalf("a removed receiver came back: %+v", list)
	}
}

// Instances adding receivers for one app at once never pass the app's
// limit together: the count and the add are one step in Redis.
func TestConcurrentAddsStayWithinAnAppsLimit(t *testing.T) {
	srv := testenv.StartRedis(t)
	ctx := context.Background()
	const limit, tries = 3, 24
	instances := make([]*sharedReceivers, 4)
	for i := range instances {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { rdb.Close() })
		instances[i] = newSharedReceivers(rdb, "lim:{webhooks}")
	}
	if had, err := instances[0].putWithin(ctx, storedWebhook{ID: "wh_other", AppID: "other", URL: "https://o.example/h"}, limit); err != nil || had != -1 {
		t.Fatalf("another app's receiver: %d %v", had, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for i := range tries {
		wg.Go(func() {
			s := storedWebhook{ID: fmt.Sprintf("wh_%d", i), AppID: "shop", URL: "https://shop.example/h", Secret: "x"}
			had, err := instances[i%len(instances)].putWithin(ctx, s, limit)
			if err != nil {
				t.Error(err)
				return
			}
			if had >= 0 {
				mu.Lock()
				refused++
				mu.Unlock()
				if had != limit {
					t.Errorf("refused at %d receivers, want %d", had, limit)
				}
			}
		})
	}
	wg.Wait()
	list, err := instances[0].load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	shop := 0
	for _, s := range list {
		if s.AppID == "shop" {
			shop++
		}
	}
	if shop != limit || refused != tries-limit || len(list) != limit+1 {
		t.Fatalf("%d of the app's receivers kept (%d refused, %d in all), want %d", shop, refused, len(list), limit)
	}
	// Without a limit, an add is kept whatever the count.
	if had, err := instances[1].putWithin(ctx, storedWebhook{ID: "wh_op", AppID: "shop", URL: "https://shop.example/op"}, 0); err != nil || had != -1 {
		t.Fatalf("an operator's add: %d %v", had, err)
	}
}

// A resync whose list was read before this instance added or removed a
// receiver leaves that change alone: the add is not undone for missing
// from the list, nor the removal for still being in it. A later list
// decides as before.
func TestResyncDoesNotUndoAChangeItsListPredates(t *testing.T) {
	r := newSharedReceivers(nil, "race:{webhooks}")
	old := storedWebhook{ID: "wh_old", URL: "https://a.example/hook"}
	gone := storedWebhook{ID: "wh_gone", URL: "https://b.example/hook"}
	r.mark(old)
	r.mark(gone)
	since := r.changes()
	listed := []storedWebhook{old, gone} // read now, before the changes below
	added := storedWebhook{ID: "wh_new", URL: "https://c.example/hook"}
	r.mark(added)
	r.unmark(old.ID)

	r.mu.Lock()
	add, remove := r.reconcile(listed, since)
	r.mu.Unlock()
	if len(add) != 0 || len(remove) != 0 {
		t.Fatalf("a list older than the changes: add %v, remove %v; want neither", add, remove)
	}

	// A list read after the changes: the removal elsewhere of wh_gone
	// and of wh_new are carried out.
	since = r.changes()
	r.mu.Lock()
	add, remove = r.reconcile(nil, since)
	r.mu.Unlock()
	slices.Sort(remove)
	if len(add) != 0 || !slices.Equal(remove, []string{"wh_gone", "wh_new"}) {
		t.Fatalf("a list newer than the changes: add %v, remove %v; want remove [wh_gone wh_new]", add, remove)
	}
}

// TestReceiversLoadFromAFullRedis: a Redis at its maxmemory under
// noeviction still answers the reload of the shared receivers, which
// only reads.
func TestReceiversLoadFromAFullRedis(t *testing.T) {
	srv := testenv.StartRedisWith(t, "--maxmemory-policy", "noeviction")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	r := newSharedReceivers(rdb, "full:{webhooks}")
	if _, err := r.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.put(ctx, []storedWebhook{{ID: "wh_1", URL: "https://a.example/hook", Secret: "s1"}}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "full:{webhooks}:other", "x", 0).Err(); err == nil {
		t.Fatal("Redis took a write past its maxmemory: this test would prove nothing")
	}
	list, marked, err := r.loadMarked(ctx)
	if err != nil {
		t.Fatalf("loading from a full Redis: %v", err)
	}
	if !marked || len(list) != 1 || list[0].ID != "wh_1" {
		t.Fatalf("loaded %v (marked %v), want wh_1 and the marker", list, marked)
	}
}
