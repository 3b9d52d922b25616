package redisdeliverylog_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/redisdeliverylog"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/gate/webhook/webhooktest"
	"github.com/authgate/authgate/internal/testenv"
)

const secret = "whsec_dGVzdC1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcy0hIQ=="

// receiver records every delivery whose hex signature checks out, and
// counts those whose signature does not.
type receiver struct {
	mu     sync.Mutex
	got    []delivery
	forged atomic.Int64
	srv    *httptest.Server
}

type delivery struct {
	id   string
	body string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if req.Header.Get(webhook.HeaderSignature) != webhook.DefaultSignaturePrefix+webhook.HexSignature(secret, body) {
			r.forged.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Get(webhook.HeaderID), string(body)})
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// instance returns a dispatcher with its own client on the shared outbox
// and delivery log, as one gateway instance would have.
func instance(t *testing.T, srv *testenv.Redis, name, url string) *webhook.Dispatcher {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: 500 * time.Millisecond,
		WriteTimeout: 500 * time.Millisecond, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: "sh:{webhooks}",
		Block: 50 * time.Millisecond, MaintainEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d, err := webhook.New(webhook.Config{Outbox: ob, Consumer: name,
		DeliveryLog: redisdeliverylog.New(rdb, redisdeliverylog.Options{Prefix: "sh:webhooks:log"}),
		Schedule:    []time.Duration{0, 20 * time.Millisecond},
		Endpoints:   []webhook.Endpoint{{ID: "app", URL: url, Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestInstanceBListsAndReplaysWhatInstanceADelivered(t *testing.T) {
	srv := testenv.StartRedis(t)
	recv := newReceiver(t)
	a := instance(t, srv, "a", recv.srv.URL)
	b := instance(t, srv, "b", recv.srv.URL) // never runs until the replay
	stopA := webhooktest.Run(t, a)

	e := event.New(event.Login, map[string]any{"user": "alice"})
	a.Emit(context.Background(), e)
	webhooktest.WaitFor(t, "A's delivery in B's listing", func() bool {
		recs := b.Deliveries("app")
		return len(recs) == 1 && recs[0].State == webhook.StateDelivered
	})
	rec := b.Deliveries("app")[0]
	if rec.EventID != e.ID || rec.EventType != event.Login || len(rec.Attempts) != 1 || rec.Attempts[0].Status != 200 || rec.Attempts[0].Number != 1 {
		t.Fatalf("B lists %+v", rec)
	}
	if one := b.Event(e.ID); len(one) != 1 || one[0].EventID != e.ID {
		t.Fatalf("B's event lookup: %+v", one)
	}
	stopA()

	// B replays the event A delivered: the receiver gets the same body
	// and webhook-id again, signed.
	webhooktest.Run(t, b)
	n, err := b.Replay(context.Background(), e.ID)
	if err != nil || n != 1 {
		t.Fatalf("B's replay: %d, %v", n, err)
	}
	webhooktest.WaitFor(t, "the replayed delivery", func() bool { return len(recv.deliveries()) == 2 })
	got := recv.deliveries()
	if got[1] != got[0] || got[0].id != e.ID {
		t.Fatalf("replayed %+v, first %+v", got[1], got[0])
	}
	if f := recv.forged.Load(); f != 0 {
		t.Fatalf("%d deliveries with a bad signature", f)
	}
	webhooktest.WaitFor(t, "the replay's attempt in the log", func() bool {
		recs := a.Deliveries("app")
		return len(recs) == 1 && len(recs[0].Attempts) == 2 && recs[0].State == webhook.StateDelivered
	})
}

// With Redis stalled, deliveries through a memory outbox go on at full
// speed: the shared log is written off the delivery path, best effort,
// and a read of it fails within its deadline.
func TestAStalledLogNeverSlowsADelivery(t *testing.T) {
	srv := testenv.StartRedis(t)
	recv := newReceiver(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, ReadTimeout: time.Second, WriteTimeout: time.Second,
		ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	d, err := webhook.New(webhook.Config{Workers: 4,
		DeliveryLog: redisdeliverylog.New(rdb, redisdeliverylog.Options{Prefix: "stall:webhooks:log"}),
		Endpoints:   []webhook.Endpoint{{ID: "app", URL: recv.srv.URL, Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	webhooktest.Run(t, d)
	d.Emit(context.Background(), event.New(event.Login, nil))
	webhooktest.WaitFor(t, "the first delivery logged", func() bool { return len(d.Deliveries("app")) == 1 })

	srv.Pause(t)
	const n = 50
	began := time.Now()
	for range n {
		d.Emit(context.Background(), event.New(event.Login, nil))
	}
	webhooktest.WaitFor(t, "the deliveries while Redis is stalled", func() bool { return len(recv.deliveries()) == 1+n })
	took := time.Since(began)
	t.Logf("%d deliveries with the log's Redis stalled took %v", n, took)
	if took > time.Second {
		t.Fatalf("%d deliveries took %v with the log stalled; the log must not slow them", n, took)
	}
	readBegan := time.Now()
	if _, err := d.DeliveriesContext(context.Background(), "app"); err == nil {
		t.Fatal("reading a stalled log succeeded")
	}
	if took := time.Since(readBegan); took > 1500*time.Millisecond {
		t.Fatalf("a read of the stalled log took %v", took)
	}
	srv.Resume(t)

	// Once Redis answers, new deliveries are logged again.
	e := event.New(event.Login, nil)
	d.Emit(context.Background(), e)
	webhooktest.WaitFor(t, "a delivery logged after the stall", func() bool {
		recs := d.Event(e.ID)
		return len(recs) == 1 && recs[0].State == webhook.StateDelivered
	})
	t.Logf("log changes dropped during the stall: %d", d.LogDropped())
}
