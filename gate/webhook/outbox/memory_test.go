package outbox_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/webhook/outbox"
	"github.com/authgate/authgate/gate/webhook/outbox/outboxtest"
)

func TestMemoryPassesTheContract(t *testing.T) {
	outboxtest.Run(t, func(*testing.T) outbox.Outbox { return outbox.NewMemory(0, nil) })
}

func TestMemoryFullDropsNewDeliveriesAndSaysSo(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	m := outbox.NewMemory(2, zap.New(core))
	ctx := context.Background()
	for i := range 2 {
		if err := m.Enqueue(ctx, outboxtest.Sample(i)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := m.Claim(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 5; i++ {
		if err := m.Enqueue(ctx, outboxtest.Sample(i)); !errors.Is(err, outbox.ErrFull) {
			t.Fatalf("Enqueue into a full outbox = %v, want ErrFull", err)
		}
	}
	if m.Dropped() != 3 {
		t.Fatalf("Dropped() = %d, want 3", m.Dropped())
	}
	if logs.FilterMessageSnippet("dropped").Len() == 0 {
		t.Fatal("no warning logged for a dropped delivery")
	}
	// A retry of an accepted delivery is never refused, even when full.
	if err := m.Retry(ctx, c, c.EnqueuedAt); err != nil {
		t.Fatalf("Retry in a full outbox: %v", err)
	}
	if n, _ := m.Depth(ctx); n != 2 {
		t.Fatalf("Depth = %d, want 2", n)
	}
}

func TestMemorySettlingTwiceFails(t *testing.T) {
	m := outbox.NewMemory(0, nil)
	ctx := context.Background()
	_ = m.Enqueue(ctx, outboxtest.Sample(1))
	c, err := m.Claim(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := m.Ack(ctx, c); err == nil {
		t.Fatal("a second Ack of one claim succeeded")
	}
}

// BenchmarkMemoryEnqueue measures the cost Emit pays per delivery.
func BenchmarkMemoryEnqueue(b *testing.B) {
	const batch = 1 << 20
	m := outbox.NewMemory(batch, nil)
	d := outboxtest.Sample(1)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n++; n%batch == 0 { // a fresh outbox, so the benchmark never fills one
			b.StopTimer()
			m = outbox.NewMemory(batch, nil)
			b.StartTimer()
		}
		if err := m.Enqueue(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemoryEnqueueWithClaimers measures Enqueue while four workers
// drain the outbox, as under load.
func BenchmarkMemoryEnqueueWithClaimers(b *testing.B) {
	m := outbox.NewMemory(1<<20, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 4 {
		go func() {
			for {
				c, err := m.Claim(ctx, "w")
				if err != nil {
					return
				}
				_ = m.Ack(ctx, c)
			}
		}()
	}
	d := outboxtest.Sample(1)
	for b.Loop() {
		_ = m.Enqueue(ctx, d)
	}
}
