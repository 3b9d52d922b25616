package device

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/internal/testenv"
)

// openRedis opens a store on r that gives up quickly once Redis is gone.
func openRedis(t *testing.T, r *testenv.Redis) store.Store {
	t.Helper()
	url := r.URL(0) + "?dial_timeout=200ms&read_timeout=200ms&write_timeout=200ms&max_retries=-1"
	s, err := redisstore.Open(url, redisstore.Options{Prefix: "test:" + t.Name()})
	if err != nil {
		t.Fatalf("opening the redis store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Two gateway instances share one Redis: a request accepted by one is a
// replay at the other, and a device enrolled on one is known to both.
func TestVerifyRequestOnRedisAcrossInstances(t *testing.T) {
	r := testenv.StartRedis(t)
	ctx := context.Background()
	f := newFixtureOn(t, openRedis(t, r))
	other := &Verifier{Devices: openRedis(t, r), Now: func() time.Time { return f.now }}

	s := signed{method: "GET", target: "/.authgate/device/pending", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}
	req, sig := s.build(t)
	if d, err := other.VerifyRequest(ctx, req, nil); err != nil || d.ID != f.alice.ID {
		t.Fatalf("first instance: %v, %v", d, err)
	}
	if _, err := f.verifier.VerifyRequest(ctx, s.withSig(derOf(t, sig)), nil); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay at the second instance = %v, want ErrReplayed", err)
	}
	if _, err := f.verifier.VerifyRequest(ctx, s.withSig(sig), []byte("forged")); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged body = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRequestWhenRedisIsDown(t *testing.T) {
	r := testenv.StartRedis(t)
	f := newFixtureOn(t, openRedis(t, r))
	req, _ := signed{method: "GET", target: "/p", deviceID: f.alice.ID, key: f.aliceKey, ts: f.now.UnixMilli()}.build(t)
	r.Stop()
	_, err := f.verifier.VerifyRequest(context.Background(), req, nil)
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("VerifyRequest with Redis down = %v, want ErrUnavailable and not ErrUnauthorized", err)
	}
	e := &Enroller{Devices: f.store}
	if _, _, err := e.CreateToken(context.Background(), "alice@example.com"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("CreateToken with Redis down = %v, want ErrUnavailable", err)
	}
}
