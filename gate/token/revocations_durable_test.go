package token

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// swappableStore is a memory store the test can swap for an empty one, as
// a Redis restarted without persistence (or flushed) would be: the data
// and the epoch marker go together.
type swappableStore struct {
	mu  sync.Mutex
	cur *memory.Store
	all []*memory.Store
}

func newSwappable(t *testing.T) *swappableStore {
	s := &swappableStore{}
	s.lose()
	t.Cleanup(func() {
		for _, m := range s.all {
			m.Close()
		}
	})
	return s
}

// lose replaces the store with an empty one.
func (s *swappableStore) lose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = memory.New()
	s.all = append(s.all, s.cur)
}

func (s *swappableStore) get() *memory.Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *swappableStore) CreateSession(ctx context.Context, sess *store.Session) error {
	return s.get().CreateSession(ctx, sess)
}
func (s *swappableStore) GetSession(ctx context.Context, id string) (*store.Session, error) {
	return s.get().GetSession(ctx, id)
}
func (s *swappableStore) ListSessions(ctx context.Context, email string) ([]*store.Session, error) {
	return s.get().ListSessions(ctx, email)
}
func (s *swappableStore) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return s.get().RevokeSession(ctx, id, until)
}
func (s *swappableStore) BumpGeneration(ctx context.Context, email string) (int64, error) {
	return s.get().BumpGeneration(ctx, email)
}
func (s *swappableStore) Generation(ctx context.Context, email string) (int64, error) {
	return s.get().Generation(ctx, email)
}
func (s *swappableStore) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	return s.get().Revocations(ctx)
}
func (s *swappableStore) RestoreRevocations(ctx context.Context, snap *store.RevocationSnapshot) error {
	return s.get().RestoreRevocations(ctx, snap)
}
func (s *swappableStore) SubscribeRevocations(ctx context.Context, ready func(), fn func(store.RevocationEvent)) error {
	return s.get().SubscribeRevocations(ctx, ready, fn)
}

// forgetfulStore hides some revocations from its snapshots until they are
// restored, as a replica promoted before it received the last writes
// would: the data is gone, the epoch marker is not.
type forgetfulStore struct {
	store.Sessions
	mu       sync.Mutex
	hidden   map[string]bool
	restored []string
}

func (f *forgetfulStore) forget(sid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hidden[sid] = true
}

func (f *forgetfulStore) Revocations(ctx context.Context) (*store.RevocationSnapshot, error) {
	snap, err := f.Sessions.Revocations(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for sid := range f.hidden {
		delete(snap.Sessions, sid)
	}
	return snap, nil
}

func (f *forgetfulStore) RestoreRevocations(ctx context.Context, snap *store.RevocationSnapshot) error {
	f.mu.Lock()
	for sid := range snap.Sessions {
		if f.hidden[sid] {
			delete(f.hidden, sid)
			f.restored = append(f.restored, sid)
		}
	}
	f.mu.Unlock()
	return f.Sessions.RestoreRevocations(ctx, snap)
}

func (f *forgetfulStore) restoredIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.restored...)
}

// TestARevocationTheStoreLostIsKeptAndWrittenBack: a failover drops the
// last writes but not the epoch marker; the instance that saw the
// revocation keeps refusing the session and gives the store it back.
func TestARevocationTheStoreLostIsKeptAndWrittenBack(t *testing.T) {
	st := &forgetfulStore{Sessions: newMemory(t), hidden: map[string]bool{}}
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: time.Minute})
	runRevocations(t, r)
	waitSynced(t, r)
	ctx := context.Background()
	if err := st.RevokeSession(ctx, "sid-out", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the revocation arrives", func() bool {
		return r.Check("sid-out", "a@example.com", 0, r.Epoch(), time.Now()) == Revoked
	})
	st.forget("sid-out")
	eventually(t, 5*time.Second, "the lost revocation written back", func() bool {
		return len(st.restoredIDs()) == 1
	})
	if got := r.Check("sid-out", "a@example.com", 0, r.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("Check after the store lost the revocation = %s, want revoked", got)
	}
	// A second instance that starts only now learns it from the store.
	late := NewRevocations(st, RevocationOptions{})
	runRevocations(t, late)
	waitSynced(t, late)
	if got := late.Check("sid-out", "a@example.com", 0, late.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("a new instance after the write-back: Check = %s, want revoked", got)
	}
}

// TestAStoreThatLostItsDataVoidsOlderTokens: Redis restarts empty. The
// instance keeps what it knew, writes it back, and refuses every token of
// the old epoch, even one whose revocation it never saw; tokens of the new
// epoch work.
func TestAStoreThatLostItsDataVoidsOlderTokens(t *testing.T) {
	st := newSwappable(t)
	r := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: time.Minute})
	runRevocations(t, r)
	waitSynced(t, r)
	ctx := context.Background()
	old := r.Epoch()
	if old == 0 {
		t.Fatal("no epoch after the first sync")
	}
	if err := st.RevokeSession(ctx, "sid-out", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.Apply(revokedSession("sid-out", time.Now().Add(time.Hour)))
	gen, err := st.BumpGeneration(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	r.Apply(bumped("bob@example.com", gen))

	st.lose()
	eventually(t, 5*time.Second, "the new epoch adopted", func() bool { return r.Epoch() != old })
	now := time.Now()
	if got := r.Check("sid-unseen", "carol@example.com", 0, old, now); got != Revoked {
		t.Fatalf("a token of the lost epoch: Check = %s, want revoked", got)
	}
	if got := r.Check("sid-new", "carol@example.com", 0, r.Epoch(), now); got != Allowed {
		t.Fatalf("a token of the new epoch: Check = %s, want allowed", got)
	}
	if got := r.Check("sid-out", "a@example.com", 0, r.Epoch(), now); got != Revoked {
		t.Fatalf("a known revocation after the loss: Check = %s, want revoked", got)
	}
	eventually(t, 5*time.Second, "revocations written back to the empty store", func() bool {
		snap, err := st.Revocations(ctx)
		if err != nil {
			return false
		}
		_, ok := snap.Sessions["sid-out"]
		return ok && snap.Generations["bob@example.com"] == gen
	})
	if got := r.Generation("bob@example.com"); got != gen {
		t.Fatalf("Generation = %d, want %d", got, gen)
	}
}

// TestATokenOfAnotherEpochPromptsAResync: an instance that has not yet
// seen the store's new epoch refuses a token minted in it by a faster
// instance, and reloads at once instead of at its next period.
func TestATokenOfAnotherEpochPromptsAResync(t *testing.T) {
	st := newSwappable(t)
	fast := NewRevocations(st, RevocationOptions{ResyncEvery: 20 * time.Millisecond, MaxStaleness: time.Minute})
	slow := NewRevocations(st, RevocationOptions{ResyncEvery: time.Hour, MaxStaleness: 4 * time.Hour})
	runRevocations(t, fast)
	runRevocations(t, slow)
	waitSynced(t, fast)
	waitSynced(t, slow)
	// The resync that the subscription coming up asks for is done.
	eventually(t, 5*time.Second, "the slow instance's subscription is covered", func() bool {
		return slow.subUp.Load() && slow.coveredEpoch.Load() == slow.subEpoch.Load()
	})
	old := slow.Epoch()
	st.lose()
	eventually(t, 5*time.Second, "the fast instance sees the new epoch", func() bool { return fast.Epoch() != old })
	if got := slow.Check("sid", "a@example.com", 0, fast.Epoch(), time.Now()); got != Revoked {
		t.Fatalf("a token of an epoch the instance has not seen: Check = %s, want revoked", got)
	}
	eventually(t, 5*time.Second, "the slow instance resynced", func() bool { return slow.Epoch() == fast.Epoch() })
	if got := slow.Check("sid", "a@example.com", 0, fast.Epoch(), time.Now()); got != Allowed {
		t.Fatalf("after the resync: Check = %s, want allowed", got)
	}
}
