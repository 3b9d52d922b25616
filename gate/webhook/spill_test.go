package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/webhook/outbox"
)

// flakyOutbox is a memory outbox whose Enqueue fails while down is set,
// as a Redis outbox does while Redis is unreachable.
type flakyOutbox struct {
	*outbox.Memory
	down atomic.Bool
}

func (f *flakyOutbox) Enqueue(ctx context.Context, d outbox.Delivery) error {
	if f.down.Load() {
		return errors.New("dial tcp 127.0.0.1:6379: connection refused")
	}
	return f.Memory.Enqueue(ctx, d)
}

func TestEventsEmittedWhileTheOutboxIsDownArriveLater(t *testing.T) {
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	defer recv.Close()
	ob := &flakyOutbox{Memory: outbox.NewMemory(100, nil)}
	ob.down.Store(true)
	d, err := New(Config{Outbox: ob, Endpoints: []Endpoint{{URL: recv.URL, Secret: GenerateSecret()}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	start := time.Now()
	for i := 0; i < 20; i++ {
		d.Emit(context.Background(), event.New(event.Login, map[string]any{"email": "a@example.com"}))
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("Emit waited %v while the outbox was down", waited)
	}
	if d.Held() != 20 || d.Rejected() != 0 {
		t.Fatalf("held %d, rejected %d; want 20 held", d.Held(), d.Rejected())
	}
	ob.down.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got.Load() != 20 || d.Held() != 0 {
		t.Fatalf("after the outbox came back: %d delivered, %d still held", got.Load(), d.Held())
	}
}

func TestTheInMemoryHoldIsBounded(t *testing.T) {
	ob := &flakyOutbox{Memory: outbox.NewMemory(100, nil)}
	ob.down.Store(true)
	d, err := New(Config{Outbox: ob, SpillCapacity: 5, Endpoints: []Endpoint{{URL: "http://127.0.0.1:1/", Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		d.Emit(context.Background(), event.New(event.Login, nil))
	}
	if d.Held() != 5 || d.Rejected() != 3 {
		t.Fatalf("held %d, rejected %d; want 5 and 3", d.Held(), d.Rejected())
	}
}
