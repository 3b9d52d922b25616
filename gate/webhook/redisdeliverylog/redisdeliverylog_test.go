package redisdeliverylog_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/deliverylogtest"
	"github.com/authgate/authgate/gate/webhook/redisdeliverylog"
	"github.com/authgate/authgate/internal/testenv"
)

var prefixes atomic.Int64

// newLog returns a log under a fresh prefix on rdb.
func newLog(rdb redis.UniversalClient, keep int, ttl time.Duration) *redisdeliverylog.Log {
	return redisdeliverylog.New(rdb, redisdeliverylog.Options{
		Prefix: fmt.Sprintf("test%d:webhooks:log", prefixes.Add(1)), Keep: keep, TTL: ttl})
}

func client(t *testing.T, srv *testenv.Redis) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestRedisLogPassesTheContract(t *testing.T) {
	rdb := client(t, testenv.StartRedis(t))
	deliverylogtest.Run(t, func(t *testing.T, keep int, ttl time.Duration) webhook.DeliveryLog {
		return newLog(rdb, keep, ttl)
	})
}

// On a Cluster every script's keys share a slot (no CROSSSLOT error), and
// endpoints spread over the primaries.
func TestRedisLogPassesTheContractOnACluster(t *testing.T) {
	c := testenv.StartRedisCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	t.Cleanup(func() { rdb.Close() })
	deliverylogtest.Run(t, func(t *testing.T, keep int, ttl time.Duration) webhook.DeliveryLog {
		return newLog(rdb, keep, ttl)
	})
	ctx := context.Background()
	slots := map[int64]bool{}
	for _, ep := range []string{"a", "b", "c", "d", "e", "f"} {
		idx := "p:{" + ep + "}:events"
		rec := "p:{" + ep + "}:e:evt_1"
		si, err := rdb.ClusterKeySlot(ctx, idx).Result()
		if err != nil {
			t.Fatal(err)
		}
		sr, _ := rdb.ClusterKeySlot(ctx, rec).Result()
		if si != sr {
			t.Fatalf("endpoint %s: index slot %d, record slot %d", ep, si, sr)
		}
		slots[si] = true
	}
	if len(slots) < 2 {
		t.Fatalf("six endpoints on %d slot(s); each endpoint should have its own tag", len(slots))
	}
}

// Records and the index expire with the TTL after their last change, and
// a record holds its body once.
func TestRecordsExpireAfterTheirTTL(t *testing.T) {
	rdb := client(t, testenv.StartRedis(t))
	l := redisdeliverylog.New(rdb, redisdeliverylog.Options{Prefix: "ttl:webhooks:log", TTL: 300 * time.Millisecond})
	ctx := context.Background()
	d := deliverylogtest.Delivery("ep", 1)
	if err := l.Apply(ctx, []webhook.LogChange{{Kind: webhook.ChangeEnqueued, Delivery: d, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ttl:webhooks:log:{ep}:events", "ttl:webhooks:log:{ep}:e:evt_1"} {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > 300*time.Millisecond {
			t.Fatalf("PTTL %s = %v, %v; want within the TTL", k, ttl, err)
		}
	}
	time.Sleep(400 * time.Millisecond)
	if n, _ := rdb.Exists(ctx, "ttl:webhooks:log:{ep}:events", "ttl:webhooks:log:{ep}:e:evt_1").Result(); n != 0 {
		t.Fatalf("%d keys left after the TTL", n)
	}
	recs, err := l.Records(ctx, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if err != nil || len(recs) != 0 {
		t.Fatalf("records after the TTL: %+v, %v", recs, err)
	}
}

// After Redis lost its scripts (a restart, SCRIPT FLUSH), Apply loads
// them again.
func TestApplySurvivesAScriptFlush(t *testing.T) {
	rdb := client(t, testenv.StartRedis(t))
	l := newLog(rdb, 10, time.Hour)
	ctx := context.Background()
	for i := range 2 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		d := deliverylogtest.Delivery("ep", i)
		if err := l.Apply(ctx, []webhook.LogChange{{Kind: webhook.ChangeEnqueued, Delivery: d, At: time.Now()},
			{Kind: webhook.ChangeGaveUp, Delivery: d, At: time.Now()}}); err != nil {
			t.Fatalf("Apply after SCRIPT FLUSH: %v", err)
		}
		if err := l.Forget(ctx, "other"); err != nil {
			t.Fatalf("Forget after SCRIPT FLUSH: %v", err)
		}
	}
	recs, err := l.Records(ctx, webhook.LogQuery{EndpointIDs: []string{"ep"}})
	if err != nil || len(recs) != 2 || recs[0].State != webhook.StateDead {
		t.Fatalf("records %+v, %v", recs, err)
	}
}
