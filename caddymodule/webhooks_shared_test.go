package caddymodule

import (
	"context"
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
