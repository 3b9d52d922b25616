package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// loginWatch is a running SubscribeLogins call.
type loginWatch struct {
	changes chan store.LoginChange
	done    chan error
	cancel  context.CancelFunc
}

// watchLogins starts SubscribeLogins on s and returns once it is ready.
func watchLogins(t *testing.T, s store.Store) *loginWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxFor(t))
	w := &loginWatch{changes: make(chan store.LoginChange, 1024), done: make(chan error, 1), cancel: cancel}
	ready := make(chan struct{})
	go func() {
		w.done <- s.SubscribeLogins(ctx, func() { close(ready) }, func(c store.LoginChange) {
			select {
			case w.changes <- c:
			default: // the test keeps only what it can hold
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	select {
	case <-ready:
	case err := <-w.done:
		t.Fatalf("SubscribeLogins returned before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("SubscribeLogins never became ready")
	}
	return w
}

// expect waits for the change want, skipping others (parallel subtests
// share the backend), and fails the test if it does not come in time.
func (w *loginWatch) expect(t *testing.T, what string, want store.LoginChange) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case c := <-w.changes:
			if c == want {
				return
			}
		case err := <-w.done:
			t.Fatalf("%s: subscription ended: %v", what, err)
		case <-deadline:
			t.Fatalf("%s: no change %+v arrived", what, want)
		}
	}
}

// none fails the test if a change about id arrives within a short wait.
func (w *loginWatch) none(t *testing.T, what, id string) {
	t.Helper()
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case c := <-w.changes:
			if c.ID == id {
				t.Fatalf("%s: unexpected change %+v", what, c)
			}
		case <-deadline:
			return
		}
	}
}

func runLoginChanges(t *testing.T, open Opener) {
	t.Run("SubscribeLogins reports creation with the email, and each transition by id, to every instance", func(t *testing.T) {
		t.Parallel()
		a, b, ctx := open(t), open(t), ctxFor(t)
		wa, wb := watchLogins(t, a), watchLogins(t, b)
		l := newLogin()
		noErr(t, "CreateLogin", a.CreateLogin(ctx, l, time.Minute))
		created := store.LoginChange{ID: l.ID, Email: l.Email}
		wa.expect(t, "creation on the writer", created)
		wb.expect(t, "creation on another instance", created)
		_, err := b.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, At: now()})
		noErr(t, "TransitionLogin", err)
		wa.expect(t, "transition", store.LoginChange{ID: l.ID})
	})

	t.Run("SubscribeLogins reports nothing for a transition that loses or a login that exists", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		w := watchLogins(t, s)
		_, err := s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginApproved, To: store.LoginCollected})
		wantErr(t, "TransitionLogin from the wrong status", err, store.ErrConflict)
		_, err = s.TransitionLogin(ctx, uniq("nologin"), store.Transition{From: store.LoginPending, To: store.LoginExpired})
		wantErr(t, "TransitionLogin of no login", err, store.ErrNotFound)
		wantErr(t, "CreateLogin again", s.CreateLogin(ctx, l, time.Minute), store.ErrConflict)
		w.none(t, "after failed writes", l.ID)
	})

	t.Run("SubscribeLogins reports no collection", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		_, err := s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, At: now()})
		noErr(t, "approve", err)
		w := watchLogins(t, s)
		_, collected, err := s.CollectLogin(ctx, l.ID, store.Collection{BindingHash: l.BindingHash, SessionID: uniq("sid")})
		if err != nil || !collected {
			t.Fatalf("CollectLogin: %v %v", collected, err)
		}
		w.none(t, "after the collection", l.ID)
	})

	t.Run("SubscribeLogins reports a deleted device", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		w := watchLogins(t, s)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		noErr(t, "DeleteDevice", s.DeleteDevice(ctx, d.ID))
		w.expect(t, "deletion", store.LoginChange{DeviceID: d.ID})
	})

	t.Run("SubscribeLogins returns the context's error when it ends, and fails once the store closes", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		w := watchLogins(t, s)
		w.cancel()
		select {
		case err := <-w.done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("SubscribeLogins after cancel = %v, want context.Canceled", err)
			}
			w.done <- err // for the cleanup
		case <-time.After(10 * time.Second):
			t.Fatal("SubscribeLogins did not return after cancel")
		}
		closing := open(t)
		wc := watchLogins(t, closing)
		noErr(t, "Close", closing.Close())
		select {
		case err := <-wc.done:
			wantErr(t, "SubscribeLogins after Close", err, store.ErrUnavailable)
			wc.done <- err
		case <-time.After(10 * time.Second):
			t.Fatal("SubscribeLogins did not return after Close")
		}
	})
}
