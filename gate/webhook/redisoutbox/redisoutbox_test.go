package redisoutbox_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/webhook/outbox"
	"github.com/authgate/authgate/gate/webhook/outbox/outboxtest"
	"github.com/authgate/authgate/gate/webhook/redisoutbox"
	"github.com/authgate/authgate/internal/testenv"
)

var prefixes atomic.Int64

// newOutbox returns an outbox under a fresh prefix on srv.
func newOutbox(t *testing.T, srv *testenv.Redis, opts redisoutbox.Options) *redisoutbox.Outbox {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	if opts.Prefix == "" {
		opts.Prefix = fmt.Sprintf("test%d:{wh}", prefixes.Add(1))
	}
	o, err := redisoutbox.New(context.Background(), rdb, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRedisOutboxPassesTheContract(t *testing.T) {
	srv := testenv.StartRedis(t)
	outboxtest.Run(t, func(t *testing.T) outbox.Outbox {
		return newOutbox(t, srv, redisoutbox.Options{Block: 100 * time.Millisecond, MaintainEvery: 20 * time.Millisecond})
	})
}

func TestACrashedConsumersEntriesAreReclaimed(t *testing.T) {
	srv := testenv.StartRedis(t)
	opts := redisoutbox.Options{Prefix: "crash:{wh}", Visibility: 200 * time.Millisecond,
		Block: 50 * time.Millisecond, MaintainEvery: 20 * time.Millisecond}
	crashed, survivor := newOutbox(t, srv, opts), newOutbox(t, srv, opts)
	ctx := context.Background()
	for i := range 5 {
		if err := crashed.Enqueue(ctx, outboxtest.Sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 { // claimed, then the process "dies" without settling
		if _, err := crashed.Claim(ctx, "crashed"); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]bool{}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for len(got) < 5 {
		c, err := survivor.Claim(cctx, "survivor")
		if err != nil {
			t.Fatalf("after %d of 5: %v", len(got), err)
		}
		if got[c.EventID] {
			t.Fatalf("%s claimed twice", c.EventID)
		}
		got[c.EventID] = true
		if err := survivor.Ack(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := survivor.Depth(ctx); n != 0 {
		t.Fatalf("depth %d after every entry was settled", n)
	}
	pending, err := survivor.Pending(ctx)
	if err != nil || pending["crashed"] != 0 {
		t.Fatalf("crashed consumer still holds %v (%v)", pending, err)
	}
}

func TestRetryIsSettledOnceWhenTwoWorkersHoldAnEntry(t *testing.T) {
	srv := testenv.StartRedis(t)
	opts := redisoutbox.Options{Prefix: "twice:{wh}", Visibility: 50 * time.Millisecond,
		Block: 50 * time.Millisecond, MaintainEvery: 10 * time.Millisecond}
	a, b := newOutbox(t, srv, opts), newOutbox(t, srv, opts)
	ctx := context.Background()
	_ = a.Enqueue(ctx, outboxtest.Sample(1))
	slow, err := a.Claim(ctx, "slow")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fast, err := b.Claim(cctx, "fast") // reclaimed once "slow" looks dead
	if err != nil || fast.Receipt != slow.Receipt {
		t.Fatalf("reclaim: %v %v", fast, err)
	}
	if err := b.Retry(ctx, fast, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.Retry(ctx, slow, time.Now().Add(time.Hour)); err == nil {
		t.Fatal("a second settlement of one entry succeeded")
	}
	if n, _ := a.Depth(ctx); n != 1 {
		t.Fatalf("depth %d, want the one scheduled retry", n)
	}
}

func TestAConsumerThatLeftIsForgottenOnceItsEntriesAreReclaimed(t *testing.T) {
	srv := testenv.StartRedis(t)
	opts := redisoutbox.Options{Prefix: "gone:{wh}", Visibility: 100 * time.Millisecond, ForgetAfter: time.Second,
		Block: 50 * time.Millisecond, MaintainEvery: 20 * time.Millisecond}
	gone, survivor := newOutbox(t, srv, opts), newOutbox(t, srv, opts)
	ctx := context.Background()
	for i := range 2 {
		if err := gone.Enqueue(ctx, outboxtest.Sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := gone.Claim(ctx, "gone"); err != nil { // then it leaves, holding one
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for range 2 {
		c, err := survivor.Claim(cctx, "survivor")
		if err != nil {
			t.Fatal(err)
		}
		if err := survivor.Ack(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// Claims keep the survivor's maintenance running; the departed
	// consumer goes once it has been silent past ForgetAfter.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	listed := func() []string {
		cs, err := rdb.XInfoConsumers(ctx, "gone:{wh}:stream", "workers").Result()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return names
	}
	if names := listed(); !slices.Contains(names, "gone") {
		t.Fatalf("the group lists %v before the wait, want the consumer that left among them", names)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		names := listed()
		if !slices.Contains(names, "gone") {
			if !slices.Contains(names, "survivor") {
				t.Fatalf("the group lists %v: the survivor was removed too", names)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer that left is still in the group: %v", names)
		}
		short, stop := context.WithTimeout(ctx, 100*time.Millisecond)
		_, _ = survivor.Claim(short, "survivor")
		stop()
	}
}

// TestAQueueRedisLostIsLoggedOnce: the first start on an empty Redis
// makes the queue without a word; a queue that goes later (a flush, a
// restart without persistence) is logged as lost, once, and made again.
func TestAQueueRedisLostIsLoggedOnce(t *testing.T) {
	srv := testenv.StartRedis(t)
	core, logs := observer.New(zap.ErrorLevel)
	o := newOutbox(t, srv, redisoutbox.Options{Block: 50 * time.Millisecond, Logger: zap.New(core)})
	ctx := context.Background()
	claimNone := func() {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if c, err := o.Claim(cctx, "w1"); err == nil {
			t.Fatalf("claimed %v from an empty queue", c)
		}
	}
	claimNone()
	if n := logs.Len(); n != 0 {
		t.Fatalf("the first start logged %d errors: %v", n, logs.All())
	}
	if err := o.Enqueue(ctx, outboxtest.Sample(1)); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	claimNone()
	claimNone()
	if n := logs.FilterMessageSnippet("webhook queue is gone").Len(); n != 1 {
		t.Fatalf("%d lost-queue errors, want 1: %v", n, logs.All())
	}
	if err := o.Enqueue(ctx, outboxtest.Sample(2)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if c, err := o.Claim(cctx, "w1"); err != nil || c.EventID != outboxtest.Sample(2).EventID {
		t.Fatalf("after the queue was made again: %+v %v", c, err)
	}
}
