package token

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// runRevocations starts r.Run and stops it (waiting for it to return)
// when the test ends.
func runRevocations(t *testing.T, r *Revocations) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

func waitSynced(t *testing.T, r *Revocations) {
	t.Helper()
	select {
	case <-r.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("revocations never synced")
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newMemory(t *testing.T) *memory.Store {
	t.Helper()
	s := memory.New()
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRevocationsAnswerStaleBeforeTheFirstSync(t *testing.T) {
	r := NewRevocations(newMemory(t), RevocationOptions{})
	if got := r.Check("sid", "a@example.com", 0, r.Epoch(), time.Now()); got != Stale {
		t.Fatalf("Check before Run = %s, want stale", got)
	}
	if !r.LastSync().IsZero() {
		t.Fatalf("LastSync before Run = %v, want zero", r.LastSync())
	}
	select {
	case <-r.Synced():
		t.Fatal("Synced is closed before any snapshot")
	default:
	}
}

func TestRevocationsLoadTheSnapshotOnStart(t *testing.T) {
	st, ctx := newMemory(t), context.Background()
	until := time.Now().Add(time.Hour)
	if err := st.RevokeSession(ctx, "sid-gone", until); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BumpGeneration(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	r := NewRevocations(st, RevocationOptions{})
	runRevocations(t, r)
	waitSynced(t, r)
	now := time.Now()
	for _, tc := range []struct {
		sid, email string
		gen        int64
		want       Verdict
	}{
		{"sid-gone", "alice@example.com", 0, Revoked},
		{"sid-live", "alice@example.com", 0, Allowed},
		{"sid-bob", "bob@example.com", 0, Revoked},
		{"sid-bob", "bob@example.com", 1, Allowed},
	} {
		if got := r.Check(tc.sid, tc.email, tc.gen, r.Epoch(), now); got != tc.want {
			t.Errorf("Check(%s, %s, %d) = %s, want %s", tc.sid, tc.email, tc.gen, got, tc.want)
		}
	}
	if r.LastSync().IsZero() {
		t.Fatal("LastSync is zero after the first snapshot")
	}
}

func TestRevocationsSeePublishedRevocationsQuickly(t *testing.T) {
	st, ctx := newMemory(t), context.Background()
	r := NewRevocations(st, RevocationOptions{ResyncEvery: time.Hour, MaxStaleness: 4 * time.Hour})
	runRevocations(t, r)
	waitSynced(t, r)
	if err := st.RevokeSession(ctx, "sid-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "session revocation seen through the subscription", func() bool {
		return r.Check("sid-1", "alice@example.com", 0, r.Epoch(), time.Now()) == Revoked
	})
	gen, err := st.BumpGeneration(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "generation bump seen through the subscription", func() bool {
		return r.Check("sid-2", "alice@example.com", gen-1, r.Epoch(), time.Now()) == Revoked
	})
	if got := r.Check("sid-2", "alice@example.com", gen, r.Epoch(), time.Now()); got != Allowed {
		t.Fatalf("token of the new generation: Check = %s, want allowed", got)
	}
}

func TestApplyTakesEffectAtOnceAndOnlyRaises(t *testing.T) {
	r := NewRevocations(newMemory(t), RevocationOptions{})
	now := time.Now()
	r.Apply(revokedSession("sid-1", now.Add(time.Hour)))
	r.Apply(revokedSession("sid-1", now.Add(time.Minute))) // an older, shorter echo
	r.Apply(bumped("alice@example.com", 5))
	r.Apply(bumped("alice@example.com", 3)) // out of order
	if got := r.Check("sid-1", "x@example.com", 0, r.Epoch(), now.Add(30*time.Minute)); got != Revoked {
		t.Fatalf("revoked session before its later until: Check = %s, want revoked even unsynced", got)
	}
	if got := r.Check("sid-2", "alice@example.com", 4, r.Epoch(), now); got != Revoked {
		t.Fatalf("generation 4 after bumps to 5 and 3: Check = %s, want revoked", got)
	}
	if got := r.Check("sid-2", "alice@example.com", 5, r.Epoch(), now); got != Stale {
		t.Fatalf("current generation, never synced: Check = %s, want stale", got)
	}
}

func TestExpiredRevocationsAreForgotten(t *testing.T) {
	st := newMemory(t)
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: time.Minute})
	runRevocations(t, r)
	waitSynced(t, r)
	now := time.Now()
	r.Apply(revokedSession("soon", now.Add(50*time.Millisecond)))
	r.Apply(revokedSession("later", now.Add(time.Hour)))
	if got := r.Check("soon", "a@example.com", 0, r.Epoch(), now.Add(50*time.Millisecond)); got != Allowed {
		t.Fatalf("Check at the revocation's until = %s, want allowed", got)
	}
	// Neither revocation is in the store (as if the store lost both): a
	// resync keeps the one still in force and forgets the one whose
	// until has passed.
	eventually(t, 5*time.Second, "the ended revocation forgotten by a resync", func() bool {
		s, _ := r.Len()
		return s == 1
	})
	if got := r.Check("later", "a@example.com", 0, r.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("a revocation the store lacks was dropped by a resync: Check = %s", got)
	}
}

func TestPruneDropsOnlyEndedRevocations(t *testing.T) {
	now := time.Now()
	s := (&revState{}).with(revokedSession("ended", now.Add(-time.Second))).
		with(revokedSession("live", now.Add(time.Hour))).
		with(bumped("a@example.com", 2))
	p := s.folded(now.UnixNano())
	if _, ok := p.sessions["ended"]; ok {
		t.Fatal("an ended revocation survived pruning")
	}
	if _, ok := p.sessions["live"]; !ok {
		t.Fatal("a live revocation was pruned")
	}
	if p.gens["a@example.com"] != 2 {
		t.Fatal("a generation was lost by pruning")
	}
}

func TestManyAppliesFoldTheDelta(t *testing.T) {
	r := NewRevocations(newMemory(t), RevocationOptions{})
	now := time.Now()
	for i := 0; i < 3*foldAt; i++ {
		r.Apply(revokedSession(strings.Repeat("x", 8)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), now.Add(time.Hour)))
	}
	st := r.state.Load()
	if len(st.dSessions)+len(st.dGens) > foldAt {
		t.Fatalf("delta holds %d entries, fold bound %d", len(st.dSessions)+len(st.dGens), foldAt)
	}
	if n, _ := r.Len(); n != 3*foldAt {
		t.Fatalf("Len = %d sessions, want %d", n, 3*foldAt)
	}
}

func TestRevocationsTurnStaleWhenTheStoreGoesAway(t *testing.T) {
	st := memory.New()
	core, logs := observer.New(zap.WarnLevel)
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: 200 * time.Millisecond, Logger: zap.New(core)})
	runRevocations(t, r)
	waitSynced(t, r)
	if got := r.Check("sid", "a@example.com", 0, r.Epoch(), time.Now()); got != Allowed {
		t.Fatalf("Check while the store is up = %s, want allowed", got)
	}
	st.Close()
	eventually(t, 5*time.Second, "Check turns stale once the store is gone", func() bool {
		return r.Check("sid", "a@example.com", 0, r.Epoch(), time.Now()) == Stale
	})
	eventually(t, 5*time.Second, "failures logged at warn", func() bool {
		return logs.FilterMessage("loading revocations failed; retrying").Len() > 0 &&
			logs.FilterMessage("revocation subscription broke; resubscribing").Len() > 0
	})
}

func TestVerdictZeroValueIsNotAllowed(t *testing.T) {
	var v Verdict
	if v == Allowed || v.String() != "invalid" {
		t.Fatalf("zero Verdict = %s", v)
	}
	for v, want := range map[Verdict]string{Allowed: "allowed", Revoked: "revoked", Stale: "stale"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
	}
}

// breakableStore is a real store whose revocation subscriptions the test
// can break, and whose snapshot loads it can hold up, to drive Run through
// the failures it must survive.
type breakableStore struct {
	store.Sessions
	mu         sync.Mutex
	breakSub   context.CancelFunc
	subscribes atomic.Int32
	// When hold is set, every snapshot load, once read, signals loaded
	// and waits for a value on release (or its context) before returning.
	hold    bool
	loaded  chan struct{}
	release chan struct{}
}

func (b *breakableStore) SubscribeRevocations(ctx context.Context, ready func(), fn func(store.RevocationEvent)) error {
	ctx, cancel := context.WithCancel(ctx)
	b.mu.Lock()
	b.breakSub = cancel
	b.mu.Unlock()
	// Counted once breakSubscription can break it: a test that sees the
	// count must not break the one before.
	b.subscribes.Add(1)
	err := b.Sessions.SubscribeRevocations(ctx, ready, fn)
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return errors.Join(errors.New("subscription connection lost"), err)
}

func (b *breakableStore) breakSubscription() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.breakSub != nil {
		b.breakSub()
	}
}

func (b *breakableStore) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	snap, err := b.Sessions.Revocations(ctx)
	if b.hold {
		select {
		case b.loaded <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-b.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return snap, err
}

func TestRevocationsResubscribeAfterTheSubscriptionBreaks(t *testing.T) {
	st := &breakableStore{Sessions: newMemory(t)}
	r := NewRevocations(st, RevocationOptions{ResyncEvery: time.Hour, MaxStaleness: 4 * time.Hour})
	runRevocations(t, r)
	waitSynced(t, r)
	eventually(t, 5*time.Second, "first subscription", func() bool { return st.subscribes.Load() == 1 })
	st.breakSubscription()
	eventually(t, 5*time.Second, "resubscribed after the break", func() bool { return st.subscribes.Load() == 2 })
	eventually(t, 5*time.Second, "subscription up again", func() bool { return r.subUp.Load() })
	if err := st.RevokeSession(context.Background(), "sid-after", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "a revocation published after resubscribing", func() bool {
		return r.Check("sid-after", "a@example.com", 0, r.Epoch(), time.Now()) == Revoked
	})
}

// TestAnEventRacingASnapshotLoadIsKept: the snapshot is read before a
// revocation is published but installed after it was applied; the
// revocation must survive the swap. Later loads stay held, so what Check
// sees is the result of that one racing load.
func TestAnEventRacingASnapshotLoadIsKept(t *testing.T) {
	st := &breakableStore{Sessions: newMemory(t), hold: true,
		loaded: make(chan struct{}), release: make(chan struct{})}
	r := NewRevocations(st, RevocationOptions{ResyncEvery: time.Hour, MaxStaleness: 4 * time.Hour})
	runRevocations(t, r)
	<-st.loaded // the first snapshot has been read and is held back
	if err := st.RevokeSession(context.Background(), "sid-raced", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.Apply(revokedSession("sid-raced", time.Now().Add(time.Hour))) // as the revoking instance does
	st.release <- struct{}{}
	waitSynced(t, r)
	if got := r.Check("sid-raced", "a@example.com", 0, r.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("revocation applied during the snapshot load: Check = %s, want revoked", got)
	}
}

func TestRunTwiceReturnsAtOnce(t *testing.T) {
	r := NewRevocations(newMemory(t), RevocationOptions{})
	runRevocations(t, r)
	waitSynced(t, r)
	done := make(chan struct{})
	go func() { defer close(done); r.Run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a second Run did not return")
	}
}
