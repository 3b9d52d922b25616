package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/token"
)

// snapshotlessStore is a memory store whose snapshot loads the test can
// make fail, so the gateway's revocation set goes stale while writes
// still work.
type snapshotlessStore struct {
	*memory.Store
	failing atomic.Bool
}

func (s *snapshotlessStore) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	if s.failing.Load() {
		return nil, errors.New("snapshot unavailable")
	}
	return s.Store.Revocations(ctx)
}

// TestALogoutWhileRevocationsAreStaleRevokes: a logout posted while the
// revocation set is stale must revoke the session, not just clear this
// browser's cookie; once the set is fresh the token is refused.
func TestALogoutWhileRevocationsAreStaleRevokes(t *testing.T) {
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &snapshotlessStore{Store: mem}
	key, err := token.NewHS256Key("k1", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{RevocationMaxStaleness: 300 * time.Millisecond, RevocationResync: 50 * time.Millisecond},
		Deps{Store: st, Keys: []token.Key{key}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-g.Synced()
	rt, err := g.Route(RouteConfig{AppID: "app", Rules: policy.Rules{Domains: []string{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := g.tokens.Mint(token.Identity{Email: "alice@example.com", SessionID: "sid-1",
		Epoch: g.revocations.Epoch(), IssuedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	status := func() int {
		w := httptest.NewRecorder()
		if err := rt.ServeHTTP(w, protectedRequest(tok), &countingNext{}); err != nil {
			t.Fatal(err)
		}
		return w.Code
	}
	if s := status(); s != http.StatusOK {
		t.Fatalf("before: %d", s)
	}
	st.failing.Store(true)
	for deadline := time.Now().Add(5 * time.Second); status() != http.StatusServiceUnavailable; {
		if time.Now().After(deadline) {
			t.Fatal("the revocation set never went stale")
		}
		time.Sleep(20 * time.Millisecond)
	}

	r := httptest.NewRequest(http.MethodPost, "http://app.example.com/.authgate/logout", strings.NewReader("csrf="+csrfToken(tok)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Cookie", "authgate_session="+tok)
	w := httptest.NewRecorder()
	if err := rt.ServeHTTP(w, r, &countingNext{}); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusSeeOther {
		t.Fatalf("logout while stale: %d %s", w.Code, w.Body)
	}
	snap, err := mem.Revocations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.Sessions["sid-1"]; !ok {
		t.Fatal("the logout answered success without recording the revocation")
	}

	st.failing.Store(false)
	for deadline := time.Now().Add(5 * time.Second); ; {
		s := status()
		if s == http.StatusFound {
			break
		}
		if s == http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("the logged-out token once fresh again: %d, want 302 to the gate", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
