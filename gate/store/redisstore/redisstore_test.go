package redisstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/store/storetest"
	"github.com/authgate/authgate/internal/testenv"
)

// TestContract runs the shared store contract against a real redis-server.
// Each test gets its own key prefix, so parallel tests cannot see each
// other; two stores opened in one test share it, as two gateway instances
// would.
func TestContract(t *testing.T) {
	r := testenv.StartRedis(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := redisstore.Open(r.URL(0), redisstore.Options{Prefix: "test:" + t.Name()})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestEveryCallFailsUnavailableWhenRedisIsDown(t *testing.T) {
	r := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{
		Addr:        r.Addr,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond,
	})
	defer client.Close()
	s := redisstore.New(client, redisstore.Options{})
	defer s.Close()
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping while up: %v", err)
	}
	subDone := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		subDone <- s.SubscribeRevocations(ctx, func() { close(ready) }, func(store.RevocationEvent) {})
	}()
	<-ready

	r.Stop()

	select {
	case err := <-subDone:
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("subscription ended with %v, want store.ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscription did not notice the server went away")
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"CreateLogin", func() error {
			return s.CreateLogin(ctx, &store.Login{ID: "l1", Status: store.LoginPending}, time.Minute)
		}},
		{"GetLogin", func() error { _, err := s.GetLogin(ctx, "l1"); return err }},
		{"TransitionLogin", func() error {
			_, err := s.TransitionLogin(ctx, "l1", store.Transition{From: store.LoginPending, To: store.LoginApproved})
			return err
		}},
		{"ClaimPending", func() error { _, err := s.ClaimPending(ctx, "a@example.com", "l1", time.Minute); return err }},
		{"ConsumeEnrollment", func() error { _, err := s.ConsumeEnrollment(ctx, "t"); return err }},
		{"ListDevices", func() error { _, err := s.ListDevices(ctx, "a@example.com"); return err }},
		{"SetPushSubscription", func() error { return s.SetPushSubscription(ctx, "d1", nil) }},
		{"DropPushSubscription", func() error { return s.DropPushSubscription(ctx, "d1", "https://a.example/1") }},
		{"GetSession", func() error { _, err := s.GetSession(ctx, "s1"); return err }},
		{"RevokeSession", func() error { return s.RevokeSession(ctx, "s1", time.Now().Add(time.Hour)) }},
		{"Revocations", func() error { _, err := s.Revocations(ctx); return err }},
		{"BumpGeneration", func() error { _, err := s.BumpGeneration(ctx, "a@example.com"); return err }},
		{"Hit", func() error { _, _, err := s.Hit(ctx, "k", time.Minute); return err }},
		{"Mark", func() error { return s.Mark(ctx, "k", time.Minute) }},
		{"GetAPIKey", func() error { _, err := s.GetAPIKey(ctx, "k1"); return err }},
		{"TouchAPIKey", func() error { return s.TouchAPIKey(ctx, "k1", time.Now()) }},
		{"DeleteAPIKey", func() error { _, err := s.DeleteAPIKey(ctx, "k1"); return err }},
		{"SubscribeRevocations", func() error {
			return s.SubscribeRevocations(ctx, func() {}, func(store.RevocationEvent) {})
		}},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with Redis down = %v, want store.ErrUnavailable", c.name, err)
		}
	}
}

func TestNewLeavesTheCallersClientOpen(t *testing.T) {
	r := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer client.Close()
	ctx := t.Context()

	s := redisstore.New(client, redisstore.Options{})
	if err := s.Mark(ctx, "nonce", time.Minute); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], redisstore.DefaultPrefix+":") {
		t.Fatalf("keys = %v, want one under the default prefix %q", keys, redisstore.DefaultPrefix)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("the caller's client was closed with the store: %v", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping on a closed store = %v, want store.ErrUnavailable", err)
	}
}

func TestBracesInThePrefixDoNotBecomeAHashTag(t *testing.T) {
	r := testenv.StartRedis(t)
	client := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer client.Close()
	ctx := t.Context()

	s := redisstore.New(client, redisstore.Options{Prefix: "gate{1}"})
	if err := s.Mark(ctx, "nonce", time.Minute); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	keys, err := client.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "gate_1_:") {
		t.Fatalf("keys = %v, want one under the prefix gate_1_", keys)
	}
}

// benchStore returns a store on a fresh redis-server.
func benchStore(b *testing.B) *redisstore.Store {
	r := testenv.StartRedis(b)
	s, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkStore runs the shared store benchmarks.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, benchStore(b))
}

// TestARefusedPasswordIsAnOutageNotABadCall: a wrong password (or none,
// against a server that wants one) makes every call fail with
// store.ErrUnavailable, so requests get 503 and Retry-After rather than
// 500.
func TestARefusedPasswordIsAnOutageNotABadCall(t *testing.T) {
	r := testenv.StartRedisWith(t, "--requirepass", "right-password")
	for name, url := range map[string]string{
		"wrong password": "redis://:wrong-password@" + r.Addr + "/0",
		"no password":    "redis://" + r.Addr + "/0",
	} {
		t.Run(name, func(t *testing.T) {
			s, err := redisstore.Open(url, redisstore.Options{Prefix: "pw"})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := t.Context()
			_, _, hitErr := s.Hit(ctx, "k", time.Minute)
			_, getErr := s.GetLogin(ctx, "l1")
			for op, err := range map[string]error{"Ping": s.Ping(ctx), "Hit": hitErr, "GetLogin": getErr} {
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("%s = %v, want store.ErrUnavailable", op, err)
				}
				if err != nil && strings.Contains(err.Error(), "right-password") {
					t.Errorf("%s error shows the password: %v", op, err)
				}
			}
		})
	}
}
