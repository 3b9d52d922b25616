package caddymodule

import (
	"context"
	"fmt"
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
	if err := r.migrate(ctx, old); err != nil {
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
	if err := newSharedReceivers(rdb, "mig:{webhooks}").migrate(ctx, old); err != nil {
		t.Fatal(err)
	}
	if list, err := r.load(ctx); err != nil || len(list) != 0 {
		t.Fatalf("removed receivers came back: %v %v", list, err)
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
