package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/token"
	"github.com/authgate/authgate/internal/testenv"
)

// TestHealthSaysWhyTheStoreFails: a Redis that refuses the gate's
// password answers, so the operator's status must say it refused, not
// only that the store does not work, and never with the password.
func TestHealthSaysWhyTheStoreFails(t *testing.T) {
	r := testenv.StartRedisWith(t, "--requirepass", "the-right-one")
	st, err := redisstore.Open("redis://:not-the-right-one@"+r.Addr+"/0", redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: st, Keys: []token.Key{key}, Events: &recordingSink{}})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Health(context.Background())
	if !strings.Contains(h.StoreError, "WRONGPASS") {
		t.Fatalf("StoreError %q does not say the password was refused", h.StoreError)
	}
	if strings.Contains(h.StoreError, "not-the-right-one") {
		t.Fatalf("StoreError %q holds the password", h.StoreError)
	}
}

// TestAStoreFailureIsLoggedWithItsCause: a request that gets 503 because
// Redis refuses writes (full, under noeviction) leaves a line in the
// gate's log with Redis's own words, which neither the answer nor the
// access log carry; a second one within the minute adds no line.
func TestAStoreFailureIsLoggedWithItsCause(t *testing.T) {
	r := testenv.StartRedisWith(t, "--maxmemory-policy", "noeviction")
	st, err := redisstore.Open(r.URL(0), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	g, err := New(Config{}, Deps{Store: st, Keys: []token.Key{key}, Events: &recordingSink{}, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	rt, err := g.Route(RouteConfig{AppID: "full"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = rt.ServeHTTP(w, r, &countingNext{})
	}))
	t.Cleanup(srv.Close)

	if err := st.Client().ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp, err := http.Post(srv.URL+"/.authgate/auth/start", "application/json", strings.NewReader(`{"email":"ann@example.com"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("a login start on a full Redis: %d, want 503", resp.StatusCode)
		}
	}
	lines := logs.FilterMessageSnippet("the session store failed").All()
	if len(lines) != 1 {
		t.Fatalf("%d lines about the store failing, want 1: %v", len(lines), logs.All())
	}
	if err, _ := lines[0].ContextMap()["error"].(string); !strings.Contains(err, "OOM") {
		t.Fatalf("the line does not give Redis's reason: %v", lines[0].ContextMap())
	}
}
