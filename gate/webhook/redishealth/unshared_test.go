package redishealth_test

import (
	"context"
	"errors"
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

// lossyHealth is the Redis health store with a link that drops writes
// of attempts while lose is set, as a network blip would.
type lossyHealth struct {
	*redishealth.Store
	lose atomic.Bool
}

func (h *lossyHealth) Record(ctx context.Context, id string, u webhook.HealthUpdate) error {
	if h.lose.Load() {
		return errors.New("connection reset")
	}
	return h.Store.Record(ctx, id, u)
}

// A 410 whose write to the shared store failed is not undone by the
// instance's next re-read of the store (which still says enabled): the
// instance stays disabled and writes the flag again, so every instance
// learns of it.
func TestALostDisableIsWrittenAgainNotUndone(t *testing.T) {
	srv := testenv.StartRedis(t)
	var got atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusGone)
	}))
	t.Cleanup(recv.Close)
	const prefix = "lost:{webhooks}"
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: prefix,
		Block: 50 * time.Millisecond, MaintainEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	lossy := &lossyHealth{Store: redishealth.New(rdb, prefix)}
	lossy.lose.Store(true)
	a, err := webhook.New(webhook.Config{Outbox: ob, Consumer: "a", Health: lossy,
		HealthSync: 50 * time.Millisecond, Schedule: []time.Duration{0, 20 * time.Millisecond},
		Endpoints: []webhook.Endpoint{{ID: "app", URL: recv.URL, Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	b := instance(t, srv, prefix, "b", recv.URL)
	webhooktest.Run(t, a)

	a.Emit(context.Background(), event.New(event.Login, nil))
	webhooktest.WaitFor(t, "the 410", func() bool { return got.Load() == 1 })
	// The write of the attempt was lost; the re-reads that follow must
	// keep A disabled and put the flag in the store.
	webhooktest.WaitFor(t, "B to learn of A's disable", func() bool { return b.Endpoints()[0].Disabled })
	time.Sleep(200 * time.Millisecond) // several of A's re-reads
	if !a.Endpoints()[0].Disabled {
		t.Fatal("A's re-read of the store undid its own 410")
	}
	lossy.lose.Store(false)
	for range 3 {
		a.Emit(context.Background(), event.New(event.Login, nil))
	}
	time.Sleep(300 * time.Millisecond)
	if n := got.Load(); n != 1 {
		t.Fatalf("the receiver that answered 410 got %d deliveries, want 1", n)
	}
	// An operator's Enable still wins.
	if err := b.Enable("app"); err != nil {
		t.Fatal(err)
	}
	webhooktest.WaitFor(t, "A to see the endpoint enabled", func() bool { return !a.Endpoints()[0].Disabled })
}
