package caddymodule

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/webhook/outbox"
	"github.com/authgate/authgate/internal/testenv"
)

// TestARedisThatMayEvictAnyKeyIsReported: at start, a Redis whose
// maxmemory-policy may evict authgate's keys (allkeys-*) gets an error
// line naming the policy; one that may not (noeviction) gets none.
func TestARedisThatMayEvictAnyKeyIsReported(t *testing.T) {
	for policy, want := range map[string]int{"allkeys-lru": 1, "noeviction": 0, "volatile-lru": 0} {
		t.Run(policy, func(t *testing.T) {
			r := testenv.StartRedisWith(t, "--maxmemory-policy", policy)
			cfg := &StoreConfig{Type: "redis", URL: r.URL(0)}
			st, err := openStore(cfg, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.release() })
			core, logs := observer.New(zapcore.InfoLevel)
			a := &App{Store: cfg, store: st, log: zap.New(core)}
			a.reportStore(context.Background())
			if logs.FilterMessage("the Redis store answers").Len() != 1 {
				t.Fatalf("the store did not answer: %v", logs.All())
			}
			lines := logs.FilterMessageSnippet("maxmemory-policy").FilterField(zap.String("maxmemory_policy", policy)).All()
			if len(lines) != want {
				t.Fatalf("%d lines naming the policy, want %d: %v", len(lines), want, logs.All())
			}
			if want > 0 && lines[0].Level != zapcore.ErrorLevel {
				t.Fatalf("logged at %v, want error", lines[0].Level)
			}
		})
	}
}

// TestStoppingTheMemoryStoreSaysWhatDeliveriesItLoses: the memory
// store's webhook queue lives in the process; a reload (another config
// taking the store first) keeps it quietly, the last config letting go
// (a stop) logs how many deliveries are lost.
func TestStoppingTheMemoryStoreSaysWhatDeliveriesItLoses(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := &StoreConfig{Type: "memory"}
	old, err := openStore(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"evt_1", "evt_2"} {
		d := outbox.Delivery{EventID: id, EventType: "login", EndpointID: "wh_1", Body: []byte("{}"), EnqueuedAt: time.Now()}
		if err := old.outbox.Enqueue(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	reloaded, err := openStore(cfg, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.release(); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Fatalf("a reload logged %v", logs.All())
	}
	if err := reloaded.release(); err != nil {
		t.Fatal(err)
	}
	lines := logs.FilterMessageSnippet("they are lost").All()
	if len(lines) != 1 || lines[0].ContextMap()["lost"] != int64(2) {
		t.Fatalf("stopping with two queued deliveries logged %v", logs.All())
	}
}
