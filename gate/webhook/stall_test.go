package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/internal/testenv"
)

// TestAdminCallsKeepTheirTimeoutWhileRedisStalls pauses redis-server
// under a dispatcher whose outbox uses the store's Redis client (as the
// gateway's does) and times Ping and Replay: each returns within
// EnqueueTimeout and a little, not after the client's own timeouts.
func TestAdminCallsKeepTheirTimeoutWhileRedisStalls(t *testing.T) {
	rs := testenv.StartRedis(t)
	rdb, err := redisstore.NewClient("redis://" + rs.Addr + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: "stall:{wh}"})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 500 * time.Millisecond
	d, err := New(Config{Outbox: ob, EnqueueTimeout: timeout,
		Endpoints: []Endpoint{{ID: "app", URL: "http://127.0.0.1:9/", Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := d.Ping(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	rs.Pause(t)
	bound := timeout + 200*time.Millisecond
	start := time.Now()
	_, err = d.Ping(context.Background(), "app")
	took := time.Since(start)
	t.Logf("ping with Redis stalled: %v in %v (stated timeout %v)", err, took.Round(time.Millisecond), timeout)
	if took > bound {
		t.Errorf("ping took %v, want <= %v", took, bound)
	}
	start = time.Now()
	_, err = d.Replay(context.Background(), first)
	took = time.Since(start)
	t.Logf("replay with Redis stalled: %v in %v", err, took.Round(time.Millisecond))
	if took > bound {
		t.Errorf("replay took %v, want <= %v", took, bound)
	}
	if err == nil {
		t.Error("replay succeeded with Redis stalled")
	}
}
