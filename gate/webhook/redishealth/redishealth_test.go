package redishealth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/redishealth"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/gate/webhook/webhooktest"
	"github.com/authgate/authgate/internal/testenv"
)

// instance returns a dispatcher with its own client on the shared outbox
// and health under prefix, as one gateway instance would have.
func instance(t *testing.T, srv *testenv.Redis, prefix, name, url string) *webhook.Dispatcher {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: prefix,
		Block: 50 * time.Millisecond, MaintainEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d, err := webhook.New(webhook.Config{Outbox: ob, Consumer: name, Health: redishealth.New(rdb, prefix),
		HealthSync: 50 * time.Millisecond, Schedule: []time.Duration{0, 20 * time.Millisecond},
		Endpoints: []webhook.Endpoint{{ID: "app", URL: url, Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInstanceBReportsAndObeysWhatInstanceADid(t *testing.T) {
	srv := testenv.StartRedis(t)
	var status atomic.Int64
	status.Store(http.StatusOK)
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(recv.Close)
	a := instance(t, srv, "hp:{webhooks}", "a", recv.URL)
	b := instance(t, srv, "hp:{webhooks}", "b", recv.URL)
	stopA := webhooktest.Run(t, a)

	// A delivers; B, which never ran, reports it.
	a.Emit(context.Background(), event.New(event.Login, nil))
	webhooktest.WaitFor(t, "A's delivery in the shared health", func() bool { return b.Endpoints()[0].Delivered == 1 })
	s := b.Endpoints()[0]
	if s.LastStatus != 200 || s.LastFiredAt.IsZero() || s.Disabled || s.Failed != 0 {
		t.Fatalf("B reports %+v after A's delivery", s)
	}

	// The receiver answers 410 to A: B reports the endpoint disabled.
	status.Store(http.StatusGone)
	a.Emit(context.Background(), event.New(event.Login, nil))
	webhooktest.WaitFor(t, "A's 410 in the shared health", func() bool { return b.Endpoints()[0].Disabled })
	s = b.Endpoints()[0]
	if s.LastStatus != 410 || s.Delivered != 1 || s.Failed != 1 || s.Dead != 1 {
		t.Fatalf("B reports %+v after A's 410", s)
	}

	// Only B runs now, with the receiver willing again: B delivers nothing.
	stopA()
	c := instance(t, srv, "hp:{webhooks}", "c", recv.URL) // an instance that learns only from its sync
	webhooktest.Run(t, b)
	webhooktest.Run(t, c)
	status.Store(http.StatusOK)
	before := got.Load()
	time.Sleep(200 * time.Millisecond) // several syncs
	for range 5 {
		b.Emit(context.Background(), event.New(event.Login, nil))
		c.Emit(context.Background(), event.New(event.Login, nil))
	}
	time.Sleep(300 * time.Millisecond)
	if n := got.Load() - before; n != 0 {
		t.Fatalf("the receiver got %d deliveries after another instance disabled it", n)
	}

	// Enabled on B, the endpoint receives again from C.
	if err := b.Enable("app"); err != nil {
		t.Fatal(err)
	}
	webhooktest.WaitFor(t, "C to see the endpoint enabled", func() bool { return !c.Endpoints()[0].Disabled })
	time.Sleep(100 * time.Millisecond) // C's sync applies it to its sending path
	c.Emit(context.Background(), event.New(event.Login, nil))
	webhooktest.WaitFor(t, "a delivery after Enable", func() bool { return b.Endpoints()[0].Delivered == 2 })
}

func TestMissingHealthReadsAsNone(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	s := redishealth.New(rdb, "m:{webhooks}")
	ctx := context.Background()
	if err := s.Record(ctx, "x", webhook.HealthUpdate{Fired: true, At: time.Now(), Status: 502, Error: "status 502", Failed: 1}); err != nil {
		t.Fatal(err)
	}
	hs, err := s.Load(ctx, []string{"x", "y"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hs["y"]; ok || hs["x"].Failed != 1 || hs["x"].LastStatus != 502 || hs["x"].LastError != "status 502" {
		t.Fatalf("loaded %+v", hs)
	}
	if err := s.Forget(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if hs, _ := s.Load(ctx, []string{"x"}); len(hs) != 0 {
		t.Fatalf("after Forget: %+v", hs)
	}
}

func TestOneAttemptCostsTwoRedisCommandsOfHealth(t *testing.T) {
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	s := redishealth.New(rdb, "c:{webhooks}")
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	before := srv.Stats(t)
	const n = 100
	for range n {
		if err := s.Record(ctx, "x", webhook.HealthUpdate{Fired: true, At: time.Now(), Status: 200, Delivered: 1}); err != nil {
			t.Fatal(err)
		}
	}
	d := srv.Stats(t).Since(before)
	t.Logf("%d recorded attempts: %s", n, d)
	if per := float64(d.Total()) / n; per > 2.1 { // the stats read itself adds one INFO
		t.Fatalf("%.2f Redis commands per recorded attempt; want 2 (HSET, HINCRBY)", per)
	}
}
