package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook/outbox"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/internal/testenv"
)

// arrivals records when each event reached a receiver.
type arrivals struct {
	mu   sync.Mutex
	sent map[string]time.Time
	got  map[string][]time.Duration // receiver → delays
}

func (a *arrivals) record(receiver, eventID string) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if at, ok := a.sent[eventID]; ok {
		a.got[receiver] = append(a.got[receiver], now.Sub(at))
	}
}

// percentile returns the p-th percentile of ds (0 < p <= 100).
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// TestAHangingReceiverDelaysOnlyItself sends a steady stream of events to
// four receivers, one of which holds every request for 30 s, and checks
// the delivery delay of the other three: p99 under a second, with the
// memory outbox and with the Redis one.
func TestAHangingReceiverDelaysOnlyItself(t *testing.T) {
	for _, kind := range []string{"memory", "redis"} {
		t.Run(kind, func(t *testing.T) {
			a := &arrivals{sent: map[string]time.Time{}, got: map[string][]time.Duration{}}
			release := make(chan struct{})
			hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(30 * time.Second):
				case <-release:
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(hung.Close)
			t.Cleanup(func() { close(release) })
			eps := []Endpoint{{ID: "hung", URL: hung.URL, Secret: "s", Timeout: 40 * time.Second}}
			for i := range 3 {
				name := fmt.Sprintf("ok%d", i)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					a.record(name, r.Header.Get(HeaderID))
				}))
				t.Cleanup(srv.Close)
				eps = append(eps, Endpoint{ID: name, URL: srv.URL, Secret: "s"})
			}
			cfg := Config{Endpoints: eps, Schedule: fastSchedule}
			if kind == "redis" {
				rs := testenv.StartRedis(t)
				rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, PoolSize: 16})
				t.Cleanup(func() { rdb.Close() })
				ob, err := redisoutbox.New(context.Background(), rdb, redisoutbox.Options{Prefix: "iso:{wh}",
					Block: 100 * time.Millisecond, MaintainEvery: 50 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Outbox = ob
			} else {
				cfg.Outbox = outbox.NewMemory(0, nil)
			}
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			run(t, d)

			const events, every = 120, 50 * time.Millisecond
			for i := range events {
				e := event.New(event.Login, map[string]any{"email": "alice@example.com", "n": i})
				a.mu.Lock()
				a.sent[e.ID] = time.Now()
				a.mu.Unlock()
				d.Emit(context.Background(), e)
				time.Sleep(every)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				a.mu.Lock()
				done := len(a.got["ok0"]) >= events && len(a.got["ok1"]) >= events && len(a.got["ok2"]) >= events
				a.mu.Unlock()
				if done {
					break
				}
				if time.Now().After(deadline) {
					a.mu.Lock()
					t.Fatalf("healthy receivers got %d, %d, %d of %d events", len(a.got["ok0"]), len(a.got["ok1"]), len(a.got["ok2"]), events)
				}
				time.Sleep(10 * time.Millisecond)
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			var all []time.Duration
			for _, name := range []string{"ok0", "ok1", "ok2"} {
				all = append(all, a.got[name]...)
			}
			p50, p99, worst := percentile(all, 50), percentile(all, 99), slices.Max(all)
			t.Logf("%s outbox, one receiver hung for 30 s, %d events to three others over %v: delay p50 %v, p99 %v, max %v; %d deliveries to the hung one deferred",
				kind, events, events*every, p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond), d.Deferred())
			if p99 >= time.Second {
				t.Errorf("p99 delivery delay to healthy receivers %v, want < 1s", p99)
			}
		})
	}
}
