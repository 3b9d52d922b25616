package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// slowSnapshots is a store whose revocation snapshots take delay.
type slowSnapshots struct {
	store.Store
	delay time.Duration
}

func (s slowSnapshots) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	time.Sleep(s.delay)
	return s.Store.Revocations(ctx)
}

// TestARequestBeforeTheFirstSyncWaitsForIt: a request that reaches a
// gateway (a new instance, or a reload's new config) before its
// revocation set first loads is answered once it has, not with 503.
func TestARequestBeforeTheFirstSyncWaitsForIt(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	snap, err := st.Revocations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{}, Deps{Store: slowSnapshots{Store: st, delay: 300 * time.Millisecond}, Keys: []token.Key{key}})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := g.Route(RouteConfig{AppID: "app", Rules: policy.Rules{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := g.tokens.Mint(token.Identity{
		Email: "alice@example.com", SessionID: "sid-1", DeviceID: "dev-1",
		Epoch: snap.Epoch.ID, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	next := &countingNext{}
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, protectedRequest(tok), next); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusOK || next.calls != 1 {
		t.Fatalf("a request before the first sync: %d, upstream calls %d", w.Code, next.calls)
	}
}
