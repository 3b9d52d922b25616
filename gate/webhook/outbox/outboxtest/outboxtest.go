// Package outboxtest is the contract every outbox.Outbox passes: run it
// from each implementation's tests with a constructor of fresh outboxes.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Run runs the contract suite; newOutbox returns an empty outbox that
// lives until the test ends.
func Run(t *testing.T, newOutbox func(t *testing.T) outbox.Outbox) {
	t.Run("ClaimReturnsEnqueuedDeliveriesInOrder", func(t *testing.T) { claimInOrder(t, newOutbox(t)) })
	t.Run("ClaimWaitsUntilCtxIsDone", func(t *testing.T) { claimWaits(t, newOutbox(t)) })
	t.Run("ClaimWakesForALaterEnqueue", func(t *testing.T) { claimWakes(t, newOutbox(t)) })
	t.Run("RetryIsNotDueBeforeItsTime", func(t *testing.T) { retryLater(t, newOutbox(t)) })
	t.Run("DueRetryComesBackWithItsAttempts", func(t *testing.T) { retryDue(t, newOutbox(t)) })
	t.Run("DeadLettersAreKeptNewestFirst", func(t *testing.T) { deadLetters(t, newOutbox(t)) })
	t.Run("ConcurrentClaimersTakeEachDeliveryOnce", func(t *testing.T) { concurrent(t, newOutbox(t)) })
}

// Sample returns a delivery numbered i.
func Sample(i int) outbox.Delivery {
	return outbox.Delivery{
		EventID:    fmt.Sprintf("evt_%d", i),
		EventType:  "login",
		EndpointID: "wh_test",
		Body:       []byte(fmt.Sprintf(`{"id":"evt_%d","n":"é\"<"}`, i)),
		EnqueuedAt: time.Date(2026, 3, 21, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func mustClaim(t *testing.T, o outbox.Outbox) outbox.Claim {
	t.Helper()
	c, err := o.Claim(ctxT(t, 10*time.Second), "c1")
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	return c
}

func depth(t *testing.T, o outbox.Outbox, want int64) {
	t.Helper()
	n, err := o.Depth(context.Background())
	if err != nil || n != want {
		t.Fatalf("Depth = %d, %v; want %d", n, err, want)
	}
}

func same(t *testing.T, got, want outbox.Delivery) {
	t.Helper()
	if got.EventID != want.EventID || got.EventType != want.EventType || got.EndpointID != want.EndpointID ||
		string(got.Body) != string(want.Body) || got.Attempt != want.Attempt ||
		!got.EnqueuedAt.Equal(want.EnqueuedAt) || got.LastError != want.LastError {
		t.Fatalf("claimed %+v, want %+v", got, want)
	}
}

func claimInOrder(t *testing.T, o outbox.Outbox) {
	ctx := context.Background()
	for i := range 3 {
		if err := o.Enqueue(ctx, Sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	depth(t, o, 3)
	for i := range 3 {
		c := mustClaim(t, o)
		same(t, c.Delivery, Sample(i))
		if err := o.Ack(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	depth(t, o, 0)
}

func claimWaits(t *testing.T, o outbox.Outbox) {
	_, err := o.Claim(ctxT(t, 100*time.Millisecond), "c1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Claim on an empty outbox = %v, want the ctx's deadline error", err)
	}
}

func claimWakes(t *testing.T, o outbox.Outbox) {
	got := make(chan outbox.Claim, 1)
	go func() {
		c, err := o.Claim(ctxT(t, 10*time.Second), "c1")
		if err == nil {
			got <- c
		}
		close(got)
	}()
	time.Sleep(50 * time.Millisecond) // let the claimer wait first
	if err := o.Enqueue(context.Background(), Sample(7)); err != nil {
		t.Fatal(err)
	}
	c, ok := <-got
	if !ok {
		t.Fatal("a waiting Claim missed a delivery enqueued later")
	}
	same(t, c.Delivery, Sample(7))
}

func retryLater(t *testing.T, o outbox.Outbox) {
	ctx := context.Background()
	if err := o.Enqueue(ctx, Sample(1)); err != nil {
		t.Fatal(err)
	}
	c := mustClaim(t, o)
	if err := o.Retry(ctx, c, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	depth(t, o, 1)
	if c, err := o.Claim(ctxT(t, 300*time.Millisecond), "c1"); err == nil {
		t.Fatalf("claimed %s an hour before its retry is due", c.EventID)
	}
}

func retryDue(t *testing.T, o outbox.Outbox) {
	ctx := context.Background()
	if err := o.Enqueue(ctx, Sample(2)); err != nil {
		t.Fatal(err)
	}
	c := mustClaim(t, o)
	c.Attempt, c.LastError = 3, "status 500"
	if err := o.Retry(ctx, c, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	again := mustClaim(t, o)
	same(t, again.Delivery, c.Delivery)
	if err := o.Ack(ctx, again); err != nil {
		t.Fatal(err)
	}
	depth(t, o, 0)
}

func deadLetters(t *testing.T, o outbox.Outbox) {
	ctx := context.Background()
	for i := range 3 {
		if err := o.Enqueue(ctx, Sample(i)); err != nil {
			t.Fatal(err)
		}
		if err := o.DeadLetter(ctx, mustClaim(t, o), fmt.Sprintf("reason %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	depth(t, o, 0)
	dead, err := o.DeadLetters(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || dead[0].EventID != "evt_2" || dead[1].EventID != "evt_1" || dead[0].Reason != "reason 2" {
		t.Fatalf("DeadLetters(2) = %+v, want evt_2 then evt_1", dead)
	}
	same(t, dead[0].Delivery, Sample(2))
}

func concurrent(t *testing.T, o outbox.Outbox) {
	const n, workers = 400, 4
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	seen := make(map[string]int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := o.Claim(ctx, fmt.Sprintf("c%d", w))
				if err != nil {
					return
				}
				mu.Lock()
				seen[c.EventID]++
				done := len(seen) == n
				mu.Unlock()
				if err := o.Ack(context.Background(), c); err != nil {
					t.Error(err)
				}
				if done {
					cancel()
				}
			}
		}()
	}
	for i := range n {
		if err := o.Enqueue(context.Background(), Sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
		cancel()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d of %d deliveries claimed", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s claimed %d times", id, k)
		}
	}
}
