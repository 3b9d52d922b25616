package redisdeliverylog_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/redisdeliverylog"
	"github.com/authgate/authgate/gate/webhook/webhooktest"
	"github.com/authgate/authgate/internal/testenv"
)

// trips counts the round trips and commands a client sends.
type trips struct{ sends, cmds atomic.Int64 }

func (h *trips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.sends.Add(1)
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (h *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.sends.Add(1)
		h.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*trips)(nil)

// TestDeliveryLogCostPerEvent measures what the Redis delivery log alone
// costs per delivered event (its enqueue and one attempt), with a memory
// outbox so that Redis holds nothing else: INFO commandstats, memory and
// cpu deltas, and the round trips the instance sent. It prints the
// figures docs/CAPACITY.md gives.
func TestDeliveryLogCostPerEvent(t *testing.T) {
	srv := testenv.StartRedis(t)
	recv := newReceiver(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	tr := &trips{}
	rdb.AddHook(tr)
	d, err := webhook.New(webhook.Config{
		DeliveryLog: redisdeliverylog.New(rdb, redisdeliverylog.Options{Prefix: "cost:webhooks:log"}),
		Endpoints:   []webhook.Endpoint{{ID: "wh_0123456789abcdef", URL: recv.srv.URL, Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	webhooktest.Run(t, d)
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	const n = 100
	for _, paced := range []bool{true, false} {
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		// The scripts are loaded by the first write; load them outside the count.
		d.Emit(ctx, event.New(event.Login, map[string]any{"email": "warm@example.com"}))
		for len(recv.deliveries()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		had := len(recv.deliveries())
		tr.sends.Store(0)
		tr.cmds.Store(0)
		before := srv.Stats(t)
		for i := range n {
			d.Emit(ctx, event.New(event.Login, map[string]any{"email": "alice@example.com", "ip": "203.0.113.9",
				"user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "n": i}))
			if paced { // one by one: each change is its own write
				for len(recv.deliveries()) < had+i+1 {
					time.Sleep(time.Millisecond)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		for end := time.Now().Add(10 * time.Second); len(recv.deliveries()) < had+n; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("%d of %d delivered", len(recv.deliveries())-had, n)
			}
		}
		time.Sleep(300 * time.Millisecond) // the writer's last batch
		st := srv.Stats(t).Since(before)
		sends, cmds := tr.sends.Load(), tr.cmds.Load()
		recs := d.Deliveries("wh_0123456789abcdef")
		if len(recs) != n {
			t.Fatalf("%d records in the log, want %d", len(recs), n)
		}
		for _, r := range recs {
			if r.State != webhook.StateDelivered || len(r.Attempts) != 1 {
				t.Fatalf("record %+v, want delivered after one attempt", r)
			}
		}
		body := len(recv.deliveries()[had].body)
		mode := "emitted one by one"
		if !paced {
			mode = "emitted in a burst"
		}
		t.Logf("%s: per event (enqueue + one attempt, body %d B): %.2f round trips, %.2f EVALSHA sent; Redis counts %.1f commands, %+.0f bytes, %.1f µs CPU; all: %s",
			mode, body, float64(sends)/n, float64(cmds)/n, float64(st.Total())/n, float64(st.UsedMemory)/n,
			float64(st.CPU.Microseconds())/n, st)
		if d.LogDropped() != 0 {
			t.Fatalf("%d log changes dropped", d.LogDropped())
		}
	}
	before := srv.Stats(t)
	tr.sends.Store(0)
	if recs := d.Deliveries("wh_0123456789abcdef"); len(recs) != n {
		t.Fatalf("%d records listed", len(recs))
	}
	t.Logf("listing %d records: %d round trips; %s", n, tr.sends.Load(), srv.Stats(t).Since(before))
}
