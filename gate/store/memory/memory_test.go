package memory_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/store/storetest"
)

// TestContract runs the shared store contract. Every call of the opener
// within one test returns the same instance: in memory, two views of one
// backend are one store.
func TestContract(t *testing.T) {
	var mu sync.Mutex
	stores := make(map[*testing.T]*memory.Store)
	storetest.Run(t, func(t *testing.T) store.Store {
		mu.Lock()
		defer mu.Unlock()
		if s, ok := stores[t]; ok {
			return s
		}
		s := memory.New()
		stores[t] = s
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestSlowSubscriberIsDroppedWithoutBlockingRevocations(t *testing.T) {
	s := memory.New()
	defer s.Close()
	ctx := t.Context()

	block := make(chan struct{})
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.SubscribeRevocations(ctx, func() { close(ready) }, func(store.RevocationEvent) { <-block })
	}()
	<-ready
	// The subscriber is stuck in its first fn call; far more revocations
	// than it can buffer must still go through.
	for i := range 2000 {
		if err := s.RevokeSession(ctx, "sid", time.Now().Add(time.Hour)); err != nil {
			t.Fatalf("RevokeSession %d: %v", i, err)
		}
	}
	close(block)
	err := <-done
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("SubscribeRevocations = %v, want the error of a dropped subscription", err)
	}
}

func TestCloseStopsTheJanitorAndIsIdempotent(t *testing.T) {
	s := memory.New()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Ping after Close = %v, want store.ErrUnavailable", err)
	}
}

// BenchmarkStore runs the shared store benchmarks.
func BenchmarkStore(b *testing.B) {
	s := memory.New()
	defer s.Close()
	storetest.Bench(b, s)
}
