package caddymodule

import (
	"context"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

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
