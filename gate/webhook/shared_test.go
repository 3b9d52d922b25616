package webhook

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/internal/testenv"
)

// idCounter is a receiver that counts deliveries by webhook-id.
type idCounter struct {
	mu    sync.Mutex
	count map[string]int
}

func (c *idCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.count[r.Header.Get("webhook-id")]++
	c.mu.Unlock()
}

func (c *idCounter) snapshot() (distinct, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.count {
		distinct++
		total += n
	}
	return distinct, total
}

// redisDispatcher returns a dispatcher on its own client and outbox
// under prefix, as one gateway instance would have.
func redisDispatcher(t testing.TB, srv *testenv.Redis, prefix, consumer, url string) *Dispatcher {
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 16})
	t.Cleanup(func() { rdb.Close() })
	ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: prefix,
		Block: 100 * time.Millisecond, MaintainEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Config{Outbox: ob, Consumer: consumer, Schedule: fastSchedule,
		Endpoints: []Endpoint{{ID: "app", URL: url, Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTwoInstancesShareOneStreamAndDeliverEachEventOnce(t *testing.T) {
	srv := testenv.StartRedis(t)
	rc := &idCounter{count: map[string]int{}}
	recv := newReceiver(t, func(_ int64, w http.ResponseWriter, r *http.Request) { rc.ServeHTTP(w, r) })
	a := redisDispatcher(t, srv, "share:{wh}", "instance-a", recv.URL)
	b := redisDispatcher(t, srv, "share:{wh}", "instance-b", recv.URL)
	run(t, a)
	run(t, b)
	const n = 300
	for i := range n {
		from := a
		if i%3 == 0 {
			from = b
		}
		from.Emit(context.Background(), event.New(event.Login, map[string]any{"n": i}))
	}
	waitFor(t, "every event", func() bool { d, _ := rc.snapshot(); return d == n })
	if d, total := rc.snapshot(); total != d {
		t.Fatalf("%d deliveries of %d events: some delivered twice", total, d)
	}
	// The receiver counts a delivery before the sender records its answer.
	delivered := func() (int64, int64) { return a.Endpoints()[0].Delivered, b.Endpoints()[0].Delivered }
	waitFor(t, "both instances to record their deliveries", func() bool { da, db := delivered(); return da+db >= n })
	da, db := delivered()
	if da == 0 || db == 0 || da+db != n {
		t.Fatalf("instance a delivered %d, b %d; want both to share %d", da, db, n)
	}
}

func TestTwoThousandEventsAllArriveThroughRedis(t *testing.T) {
	srv := testenv.StartRedis(t)
	rc := &idCounter{count: map[string]int{}}
	recv := newReceiver(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n%97 == 0 { // some failures, so retries go through the retry set
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		rc.ServeHTTP(w, r)
	})
	d := redisDispatcher(t, srv, "many:{wh}", "only", recv.URL)
	run(t, d)
	const n = 2000
	for i := range n {
		d.Emit(context.Background(), event.New(event.Access, nil)) // not subscribed: skipped
		d.Emit(context.Background(), event.New(event.Login, map[string]any{"n": i}))
	}
	waitFor(t, "2000 events", func() bool { got, _ := rc.snapshot(); return got == n })
	if d.Rejected() != 0 {
		t.Fatalf("%d deliveries rejected", d.Rejected())
	}
	waitFor(t, "an empty outbox", func() bool { n, _ := d.Outbox().Depth(context.Background()); return n == 0 })
}
