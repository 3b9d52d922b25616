package flow

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// unconfirmedStore makes chosen writes take effect and then report the
// error a store gives when its replicas do not confirm them, once each.
type unconfirmedStore struct {
	store.Store
	failCollect, failSession atomic.Bool
}

var errUnconfirmed = fmt.Errorf("0 of 1 replicas confirmed the write: %w", store.ErrUnavailable)

// approvedOnUnconfirmed starts a login of alice on an unconfirmedStore
// and approves it on her phone; opts go to the Service.
func approvedOnUnconfirmed(t *testing.T, cfg Config, opts ...Option) (*Service, *unconfirmedStore, *recorder, *Started) {
	t.Helper()
	mem := memory.New()
	t.Cleanup(func() { mem.Close() })
	st := &unconfirmedStore{Store: mem}
	rec := &recorder{}
	svc := New(cfg, st, rec, opts...)
	ctx := context.Background()
	dev := &store.Device{ID: "dev_1", Email: "alice@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: time.Now()}
	if err := st.CreateDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	s, err := svc.Start(ctx, StartRequest{Email: "alice@example.com", AppID: "app", ReturnURL: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	return svc, st, rec, s
}

func (u *unconfirmedStore) CollectLogin(ctx context.Context, id string, c store.Collection) (*store.Login, bool, error) {
	l, collected, err := u.Store.CollectLogin(ctx, id, c)
	if err == nil && collected && u.failCollect.CompareAndSwap(true, false) {
		return l, collected, errUnconfirmed
	}
	return l, collected, err
}

func (u *unconfirmedStore) OpenSession(ctx context.Context, o store.SessionOpening) (*store.SessionOpened, error) {
	opened, err := u.Store.OpenSession(ctx, o)
	if err == nil && u.failSession.CompareAndSwap(true, false) {
		return nil, errUnconfirmed
	}
	return opened, err
}

// TestAnUnconfirmedCollectionIsUndoneAndTheLoginCompletesOnce: when the
// store cannot confirm the collection (or the session), the check fails,
// no session is usable, and the browser's next check completes the login
// with one session; a check after that hands out nothing.
func TestAnUnconfirmedCollectionIsUndoneAndTheLoginCompletesOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		arm  func(*unconfirmedStore)
	}{
		{"collect transition", func(u *unconfirmedStore) { u.failCollect.Store(true) }},
		{"session creation", func(u *unconfirmedStore) { u.failSession.Store(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, rec, s := approvedOnUnconfirmed(t, Config{})
			ctx := context.Background()
			tc.arm(st)
			if res, err := svc.Check(ctx, s.Login.ID, s.Binding); !errors.Is(err, store.ErrUnavailable) || res != nil {
				t.Fatalf("check while the store cannot confirm: %+v %v, want ErrUnavailable", res, err)
			}
			snap, err := st.Revocations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if sessions, _ := st.ListSessions(ctx, "alice@example.com"); len(sessions) != 0 {
				t.Fatalf("a session of the failed check exists: %+v", sessions)
			}
			failedSessions := len(snap.Sessions)

			res, err := svc.Check(ctx, s.Login.ID, s.Binding)
			if err != nil || res.Session == nil {
				t.Fatalf("the browser's next check: %+v %v, want the session", res, err)
			}
			if _, revoked := snap.Sessions[res.Session.ID]; revoked {
				t.Fatal("the session handed out is revoked")
			}
			again, err := svc.Check(ctx, s.Login.ID, s.Binding)
			if err != nil || again.Session != nil {
				t.Fatalf("a check after completion: %+v %v, want no session", again, err)
			}
			if sessions, _ := st.ListSessions(ctx, "alice@example.com"); len(sessions) != 1 {
				t.Fatalf("sessions after the login completed: %d, want 1", len(sessions))
			}
			if n := rec.count(event.Login); n != 1 {
				t.Fatalf("login events: %d, want 1", n)
			}
			if tc.name == "session creation" && failedSessions != 1 {
				t.Fatalf("the session that could not be confirmed is not revoked (%d revocations)", failedSessions)
			}
		})
	}
}

// TestALoginWhosePhoneWasRemovedBeforeCollectionGetsNoSession: a phone
// approves, then is removed (as when a user is offboarded) before the
// browser comes back for its session. The browser gets no session, none
// is left usable, and the login ends with one login_failed.
func TestALoginWhosePhoneWasRemovedBeforeCollectionGetsNoSession(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	if err := f.store.DeleteDevice(ctx, f.dev.ID); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Session != nil || res.Login.Status != store.LoginExpired || res.Login.Reason != ReasonDeviceRemoved {
		t.Fatalf("check after the phone was removed: %+v %v, want no session and the login expired (%s)", res, err, ReasonDeviceRemoved)
	}
	if sessions, _ := f.store.ListSessions(ctx, "alice@example.com"); len(sessions) != 0 {
		t.Fatalf("a session exists for the login: %+v", sessions)
	}
	again, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || again.Session != nil {
		t.Fatalf("second check: %+v %v", again, err)
	}
	if f.events.count(event.Login) != 0 || f.events.count(event.LoginFailed) != 1 || f.events.last(event.LoginFailed).Data["reason"] != ReasonDeviceRemoved {
		t.Fatalf("events: %+v", f.events.events)
	}
}
