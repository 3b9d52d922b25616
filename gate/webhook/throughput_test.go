package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/internal/testenv"
)

// benchThroughput emits b.N events to a loopback receiver and reports how
// many are delivered per second, from the first Emit to the last 2xx.
func benchThroughput(b *testing.B, d *Dispatcher, got *atomic.Int64) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		d.Emit(ctx, event.New(event.Login, map[string]any{"email": "alice@example.com", "n": i}))
	}
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

func countingServer(b *testing.B) (*httptest.Server, *atomic.Int64) {
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	b.Cleanup(srv.Close)
	return srv, &got
}

func BenchmarkDeliveryThroughputMemory(b *testing.B) {
	srv, got := countingServer(b)
	d, err := New(Config{QueueCapacity: 1 << 20, Endpoints: []Endpoint{{ID: "app", URL: srv.URL, Secret: GenerateSecret()}}})
	if err != nil {
		b.Fatal(err)
	}
	benchThroughput(b, d, got)
}

func BenchmarkDeliveryThroughputRedis(b *testing.B) {
	srv, got := countingServer(b)
	rs := testenv.StartRedis(b)
	d := redisDispatcher(b, rs, "bench:{wh}", "bench", srv.URL)
	benchThroughput(b, d, got)
}

// BenchmarkEmit measures what an event costs the request that raises it:
// encoding once and enqueueing one delivery (memory outbox, no workers).
func BenchmarkEmit(b *testing.B) {
	d, err := New(Config{QueueCapacity: 1 << 24, Endpoints: []Endpoint{{ID: "app", URL: "http://127.0.0.1:9/", Secret: GenerateSecret()}}})
	if err != nil {
		b.Fatal(err)
	}
	e := event.New(event.Login, map[string]any{"session_id": "l1", "sid": "s1", "app_id": "app",
		"email": "alice@example.com", "ip": "192.0.2.1", "user_agent": "Mozilla/5.0", "device_id": "dev_1"})
	b.ReportAllocs()
	for b.Loop() {
		d.Emit(context.Background(), e)
	}
	if d.Rejected() != 0 {
		b.Fatalf("%d deliveries rejected", d.Rejected())
	}
}
