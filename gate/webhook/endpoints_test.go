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
)

func TestAddAndRemoveEndpointsWhileRunning(t *testing.T) {
	var got atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
	}))
	defer recv.Close()
	d, err := New(Config{Schedule: []time.Duration{0, 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	ep, err := d.AddEndpoint(Endpoint{URL: recv.URL, Secret: GenerateSecret()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddEndpoint(Endpoint{URL: recv.URL, Secret: "x"}); err == nil {
		t.Fatal("a second endpoint with the same id was accepted")
	}
	if _, err := d.AddEndpoint(Endpoint{URL: "ftp://example.com", Secret: "x"}); err == nil {
		t.Fatal("an invalid endpoint was accepted")
	}
	d.Emit(context.Background(), event.New(event.Login, map[string]any{"email": "a@example.com"}))
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got.Load() != 1 {
		t.Fatalf("deliveries to the added endpoint: %d", got.Load())
	}
	if err := d.RemoveEndpoint(ep.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveEndpoint(ep.ID); !errors.Is(err, ErrUnknownEndpoint) {
		t.Fatalf("removing twice: %v", err)
	}
	d.Emit(context.Background(), event.New(event.Login, map[string]any{"email": "a@example.com"}))
	time.Sleep(100 * time.Millisecond)
	if got.Load() != 1 {
		t.Fatalf("a removed endpoint still received events: %d", got.Load())
	}
	if len(d.Endpoints()) != 0 {
		t.Fatalf("removed endpoint still listed: %+v", d.Endpoints())
	}
}
