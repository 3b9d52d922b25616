package flow

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// countingStore counts GetLogin calls and fails the first failReads.
type countingStore struct {
	store.Store
	reads     atomic.Int64
	failReads atomic.Int64
}

func (c *countingStore) GetLogin(ctx context.Context, id string) (*store.Login, error) {
	c.reads.Add(1)
	if c.failReads.Add(-1) >= 0 {
		return nil, errors.New("store unavailable")
	}
	return c.Store.GetLogin(ctx, id)
}

// TestALoginNobodyReadsAgainIsExpiredOnceByTheWatch: a login whose
// browser and phone went away gets its login_failed (expired) from the
// instance that started it, once, a moment after its window; not before.
func TestALoginNobodyReadsAgainIsExpiredOnceByTheWatch(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")

	f.clock.Add(time.Minute + expiryGrace - time.Millisecond)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 0 {
		t.Fatalf("before its window and grace had passed: %v", got)
	}
	f.clock.Add(time.Millisecond)
	f.svc.sweepExpired(ctx)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonExpired {
		t.Fatalf("after its window: login_failed %v, want one expired", got)
	}
	l, err := f.store.GetLogin(ctx, s.Login.ID)
	if err != nil || l.Status != store.LoginExpired {
		t.Fatalf("stored login %+v %v, want expired", l, err)
	}
	if e := f.events.last(event.LoginFailed); e.Data["session_id"] != s.Login.ID || e.Data["email"] != "alice@example.com" {
		t.Fatalf("event data %v", e.Data)
	}
}

// TestTheWatchLeavesLoginsThisInstanceSawEnd: a login collected here is
// not read again at its expiry, and one another instance expired is not
// reported twice.
func TestTheWatchLeavesLoginsThisInstanceSawEnd(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute})
	ctx := context.Background()
	cs := &countingStore{Store: f.store}
	a := New(Config{LoginTimeout: time.Minute}, cs, f.events, WithClock(f.clock.Now))
	b := New(Config{LoginTimeout: time.Minute}, f.store, f.events, WithClock(f.clock.Now))

	collected, err := a.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Decide(ctx, f.dev, collected.Login.ID, DecisionApprove, collected.Login.Code); err != nil {
		t.Fatal(err)
	}
	if res, err := a.Check(ctx, collected.Login.ID, collected.Binding); err != nil || res.Session == nil {
		t.Fatalf("collecting: %+v %v", res, err)
	}
	abandoned, err := a.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute + expiryGrace)
	if _, err := b.Check(ctx, abandoned.Login.ID, ""); err != nil {
		t.Fatal(err)
	}
	before := cs.reads.Load()
	a.sweepExpired(ctx)
	if n := cs.reads.Load() - before; n != 1 {
		t.Errorf("the sweep read %d logins, want 1 (the collected one is done)", n)
	}
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonExpired {
		t.Fatalf("login_failed %v, want the one expiry, reported once", got)
	}
}

// TestTheWatchTriesAgainWhileTheStoreFails: a login due while the store
// fails is expired on a later round, not dropped.
func TestTheWatchTriesAgainWhileTheStoreFails(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute})
	ctx := context.Background()
	cs := &countingStore{Store: f.store}
	svc := New(Config{LoginTimeout: time.Minute}, cs, f.events, WithClock(f.clock.Now))
	if _, err := svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", ReturnURL: "/"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(time.Minute + expiryGrace)
	cs.failReads.Store(2)
	svc.sweepExpired(ctx)
	svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 0 {
		t.Fatalf("with the store failing: %v", got)
	}
	svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonExpired {
		t.Fatalf("once the store answers: %v, want one expired", got)
	}
}

// TestAReloadedServiceExpiresTheLoginsItsPredecessorStarted: the Service
// of a new configuration shares the old one's watch, so a login started
// before a reload still ends with login_failed (expired), even when the
// new configuration's shorter window puts its own logins ahead of it.
func TestAReloadedServiceExpiresTheLoginsItsPredecessorStarted(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Now()}
	watch := NewExpiryWatch()
	oldRec, newRec := &recorder{}, &recorder{}
	old := New(Config{LoginTimeout: 2 * time.Minute}, st, oldRec, WithClock(clk.Now), WithExpiryWatch(watch))
	started, err := old.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ClientIP: "192.0.2.1", UserAgent: "test", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}

	clk.Add(30 * time.Second)
	reloaded := New(Config{LoginTimeout: 30 * time.Second}, st, newRec, WithClock(clk.Now), WithExpiryWatch(watch))
	mine, err := reloaded.Start(ctx, StartRequest{Email: "bob@example.com", AppID: "app", ClientIP: "192.0.2.2", UserAgent: "test", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(30*time.Second + expiryGrace)
	reloaded.sweepExpired(ctx)
	if got := newRec.reasons(); len(got) != 1 || newRec.last(event.LoginFailed).Data["session_id"] != mine.Login.ID {
		t.Fatalf("after the new window: %v, want only the new login expired", newRec.events)
	}

	clk.Add(time.Minute)
	reloaded.sweepExpired(ctx)
	if got := newRec.reasons(); len(got) != 2 || newRec.last(event.LoginFailed).Data["session_id"] != started.Login.ID {
		t.Fatalf("after the old window: %v, want the old login expired by the new Service", newRec.events)
	}
	old.sweepExpired(ctx)
	if got := oldRec.reasons(); len(got) != 0 {
		t.Fatalf("the old Service reported %v again", got)
	}
}

// handedOver keeps logins handed over in memory, as a store shared by
// instances would.
type handedOver struct {
	mu     sync.Mutex
	logins []store.WatchedLogin
}

func (h *handedOver) HandOverExpiries(_ context.Context, logins []store.WatchedLogin) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logins = append(h.logins, logins...)
	return nil
}

func (h *handedOver) TakeHandedOverExpiries(_ context.Context, max int) ([]store.WatchedLogin, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := min(max, len(h.logins))
	out := h.logins[:n:n]
	h.logins = h.logins[n:]
	return out, nil
}

// TestALoginPendingWhenItsInstanceStopsIsExpiredByAnother: an instance
// that stops hands its watched logins over; another instance on the same
// store takes them and sends the login_failed (expired), once, when the
// window has passed. The stopped instance's watch holds nothing more.
func TestALoginPendingWhenItsInstanceStopsIsExpiredByAnother(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Now()}
	h := &handedOver{}
	stopping := NewSharedExpiryWatch(h)
	firstRec, otherRec := &recorder{}, &recorder{}
	first := New(Config{LoginTimeout: time.Minute}, st, firstRec, WithClock(clk.Now), WithExpiryWatch(stopping))
	started, err := first.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ClientIP: "192.0.2.1", UserAgent: "test", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := stopping.HandOver(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.logins) != 1 || h.logins[0].ID != started.Login.ID || !h.logins[0].End.Equal(started.Login.ExpiresAt) {
		t.Fatalf("handed over %+v, want the one login ending at %v", h.logins, started.Login.ExpiresAt)
	}
	if ids, _ := stopping.take(clk.Now().Add(time.Hour)); len(ids) != 0 {
		t.Fatalf("the stopped watch still holds %v", ids)
	}

	other := New(Config{LoginTimeout: time.Minute}, st, otherRec, WithClock(clk.Now), WithExpiryWatch(NewSharedExpiryWatch(h)))
	other.adoptHandedOver(ctx)
	other.sweepExpired(ctx)
	if got := otherRec.reasons(); len(got) != 0 {
		t.Fatalf("before the window ended: %v", got)
	}
	clk.Add(time.Minute + expiryGrace)
	other.sweepExpired(ctx)
	other.sweepExpired(ctx)
	if got := otherRec.reasons(); len(got) != 1 || got[0] != ReasonExpired || otherRec.last(event.LoginFailed).Data["session_id"] != started.Login.ID {
		t.Fatalf("after the window: %v, want one login_failed (expired) for the handed-over login", otherRec.events)
	}
	if len(h.logins) != 0 || len(firstRec.reasons()) != 0 {
		t.Fatalf("left in the store %v, sent by the stopped instance %v", h.logins, firstRec.events)
	}
}

// TestAnApprovedLoginNobodyCollectsEndsWithLoginFailed: a login approved
// on the phone whose browser never comes back ends with one login_failed
// (not_collected) shortly before its record goes, not at the end of its
// approval window; after that its browser gets no session. A login
// collected in time gets no such event.
func TestAnApprovedLoginNobodyCollectsEndsWithLoginFailed(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute, Retention: 5 * time.Minute})
	ctx := context.Background()
	left := f.start(t, "alice@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(ctx, f.dev, left.Login.ID, DecisionApprove, left.Login.Code); err != nil {
		t.Fatal(err)
	}

	f.clock.Add(time.Minute + expiryGrace)
	f.svc.sweepExpired(ctx)
	f.clock.Add(4 * time.Minute)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 0 {
		t.Fatalf("while the browser may still collect it: %v", got)
	}
	f.clock.Add(30*time.Second + expiryGrace)
	f.svc.sweepExpired(ctx)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonNotCollected {
		t.Fatalf("after the collection window: login_failed %v, want one not_collected", got)
	}
	if e := f.events.last(event.LoginFailed); e.Data["session_id"] != left.Login.ID || e.Data["device_id"] != f.dev.ID {
		t.Fatalf("event data %v", e.Data)
	}
	res, err := f.svc.Check(ctx, left.Login.ID, left.Binding)
	if err != nil || res.Session != nil || res.Login.Status != store.LoginExpired {
		t.Fatalf("the browser's late check: %+v %v, want expired and no session", res, err)
	}

	collected := f.start(t, "alice@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(ctx, f.dev, collected.Login.ID, DecisionApprove, collected.Login.Code); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Minute)
	if res, err := f.svc.Check(ctx, collected.Login.ID, collected.Binding); err != nil || res.Session == nil {
		t.Fatalf("collecting after the approval window: %+v %v", res, err)
	}
	f.clock.Add(10 * time.Minute)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != 1 {
		t.Fatalf("a collected login was reported too: %v", got)
	}
}

// TestAnApprovedLoginWhoseSessionFailedIsStillEndedIfNobodyCollects: a
// browser's check that collects the login but cannot open its session
// hands the login back (approved again) for the browser's next check. If
// that browser never comes back, the login still ends with one
// login_failed (not_collected), as any approved login nobody collects.
func TestAnApprovedLoginWhoseSessionFailedIsStillEndedIfNobodyCollects(t *testing.T) {
	clk := &clock{now: time.Now()}
	svc, st, rec, s := approvedOnUnconfirmed(t, Config{LoginTimeout: time.Minute}, WithClock(clk.Now))
	ctx := context.Background()
	st.failSession.Store(true)
	if res, err := svc.Check(ctx, s.Login.ID, s.Binding); !errors.Is(err, store.ErrUnavailable) || res != nil {
		t.Fatalf("check while the session cannot be opened: %+v %v, want ErrUnavailable", res, err)
	}
	if l, err := st.GetLogin(ctx, s.Login.ID); err != nil || l.Status != store.LoginApproved {
		t.Fatalf("after the failed check: %+v %v, want the login approved again", l, err)
	}

	for range 6 {
		clk.Add(time.Minute)
		svc.sweepExpired(ctx)
	}
	if got := rec.reasons(); len(got) != 1 || got[0] != ReasonNotCollected {
		t.Fatalf("the browser never came back: login_failed %v, want one not_collected", got)
	}
	if res, err := svc.Check(ctx, s.Login.ID, s.Binding); err != nil || res.Session != nil {
		t.Fatalf("a check after the login ended: %+v %v, want no session", res, err)
	}
}

// refusingTransitions fails the first refuse TransitionLogin calls
// without applying them, as a store that does not answer.
type refusingTransitions struct {
	store.Store
	refuse atomic.Int64
}

func (r *refusingTransitions) TransitionLogin(ctx context.Context, id string, t store.Transition) (*store.Login, error) {
	if r.refuse.Add(-1) >= 0 {
		return nil, errors.New("store unavailable")
	}
	return r.Store.TransitionLogin(ctx, id, t)
}

// TestAnExpiryTheStoreRefusedIsTriedAgain: a due login whose move to
// expired the store did not take is watched again, and the next round
// ends it with its one login_failed.
func TestAnExpiryTheStoreRefusedIsTriedAgain(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &refusingTransitions{Store: mem}
	clk := &clock{now: time.Now()}
	rec := &recorder{}
	svc := New(Config{LoginTimeout: time.Minute}, st, rec, WithClock(clk.Now))
	started, err := svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ClientIP: "192.0.2.1", UserAgent: "test", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute + expiryGrace)
	st.refuse.Store(1)
	svc.sweepExpired(ctx)
	if got := rec.reasons(); len(got) != 0 {
		t.Fatalf("with the move refused: %v", got)
	}
	svc.sweepExpired(ctx)
	if got := rec.reasons(); len(got) != 1 || got[0] != ReasonExpired || rec.last(event.LoginFailed).Data["session_id"] != started.Login.ID {
		t.Fatalf("the next round: %v, want the one login_failed (expired)", rec.events)
	}
}

// TestAnApprovedAPILoginNobodyCollectsSendsNothing: a login of the
// standalone API, approved and never collected by its app, is no
// failure: its app may wait for webhooks alone, as the integration
// guide shows, and must not be told "denied" for an approval.
func TestAnApprovedAPILoginNobodyCollectsSendsNothing(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute, Retention: 5 * time.Minute})
	ctx := context.Background()
	s, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ClientIP: "192.0.2.1", ReturnURL: "/", API: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.clock.Add(3 * time.Minute)
		f.svc.sweepExpired(ctx)
	}
	if got := f.events.reasons(); len(got) != 0 {
		t.Fatalf("an approved API login nobody collected: login_failed %v, want none", got)
	}
}
