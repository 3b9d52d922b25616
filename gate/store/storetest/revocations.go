package storetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// subscription is a running SubscribeRevocations call.
type subscription struct {
	events chan store.RevocationEvent
	done   chan error
	cancel context.CancelFunc
}

// subscribe starts SubscribeRevocations on s and returns once it is ready.
// It fails the test if fn is called before ready.
func subscribe(t *testing.T, s store.Store) *subscription {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxFor(t))
	sub := &subscription{events: make(chan store.RevocationEvent, 16), done: make(chan error, 1), cancel: cancel}
	ready := make(chan struct{})
	var isReady atomic.Bool
	go func() {
		sub.done <- s.SubscribeRevocations(ctx, func() {
			isReady.Store(true)
			close(ready)
		}, func(ev store.RevocationEvent) {
			if !isReady.Load() {
				t.Errorf("event %+v delivered before ready", ev)
			}
			sub.events <- ev
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-sub.done
	})
	select {
	case <-ready:
	case err := <-sub.done:
		t.Fatalf("SubscribeRevocations returned before ready: %v", err)
	case <-ctx.Done():
		t.Fatal("SubscribeRevocations never became ready")
	}
	return sub
}

// next returns the next event, failing the test if none comes in time.
func (sub *subscription) next(t *testing.T) store.RevocationEvent {
	t.Helper()
	select {
	case ev := <-sub.events:
		return ev
	case err := <-sub.done:
		t.Fatalf("subscription ended while waiting for an event: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no revocation event arrived")
	}
	return store.RevocationEvent{}
}

func runRevocations(t *testing.T, open Opener) {
	t.Run("RevokeSession deletes the session, drops it from the index and records the revocation", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		gone, kept := newSession(email, now(), time.Hour), newSession(email, now(), time.Hour)
		noErr(t, "CreateSession gone", s.CreateSession(ctx, gone))
		noErr(t, "CreateSession kept", s.CreateSession(ctx, kept))
		until := gone.ExpiresAt
		noErr(t, "RevokeSession", s.RevokeSession(ctx, gone.ID, until))
		_, err := s.GetSession(ctx, gone.ID)
		wantErr(t, "GetSession after revoke", err, store.ErrNotFound)
		list, err := s.ListSessions(ctx, email)
		noErr(t, "ListSessions", err)
		if len(list) != 1 || list[0].ID != kept.ID {
			t.Fatalf("ListSessions after revoke = %v, want [%s]", sessionIDs(list), kept.ID)
		}
		snap, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		got, ok := snap.Sessions[gone.ID]
		if !ok || !ms(got).Equal(ms(until)) {
			t.Fatalf("snapshot has %v (present %v) for the revoked id, want %v", got, ok, until)
		}
		if _, ok := snap.Sessions[kept.ID]; ok {
			t.Fatal("snapshot lists a session that was never revoked")
		}
		noErr(t, "revoking again", s.RevokeSession(ctx, gone.ID, until))
	})

	t.Run("revoking an unknown id is recorded and creates no session", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		id, until := uniq("sid"), now().Add(time.Hour)
		noErr(t, "RevokeSession", s.RevokeSession(ctx, id, until))
		_, err := s.GetSession(ctx, id)
		wantErr(t, "GetSession", err, store.ErrNotFound)
		snap, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		if got, ok := snap.Sessions[id]; !ok || !ms(got).Equal(ms(until)) {
			t.Fatalf("snapshot has %v (present %v), want %v", got, ok, until)
		}
	})

	t.Run("a revocation is forgotten once its until has passed", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		soon, past, later := uniq("sid"), uniq("sid"), uniq("sid")
		noErr(t, "RevokeSession soon", s.RevokeSession(ctx, soon, now().Add(shortTTL)))
		noErr(t, "RevokeSession past", s.RevokeSession(ctx, past, now().Add(-time.Minute)))
		noErr(t, "RevokeSession later", s.RevokeSession(ctx, later, now().Add(time.Hour)))
		snap, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		if _, ok := snap.Sessions[past]; ok {
			t.Fatal("a revocation whose until had already passed is in force")
		}
		if _, ok := snap.Sessions[soon]; !ok {
			t.Fatal("a fresh revocation is missing")
		}
		time.Sleep(expireWait)
		snap, err = s.Revocations(ctx)
		noErr(t, "Revocations after expiry", err)
		if _, ok := snap.Sessions[soon]; ok {
			t.Fatal("an expired revocation is still in force")
		}
		if _, ok := snap.Sessions[later]; !ok {
			t.Fatal("a revocation still in force was forgotten")
		}
	})

	t.Run("BumpGeneration counts up per user and Generation reads it", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		alice, bob := uniqEmail(), uniqEmail()
		gen, err := s.Generation(ctx, alice)
		noErr(t, "Generation before any bump", err)
		if gen != 0 {
			t.Fatalf("Generation before any bump = %d, want 0", gen)
		}
		for want := int64(1); want <= 3; want++ {
			gen, err := s.BumpGeneration(ctx, alice)
			noErr(t, "BumpGeneration", err)
			if gen != want {
				t.Fatalf("BumpGeneration = %d, want %d", gen, want)
			}
		}
		gen, err = s.Generation(ctx, alice)
		noErr(t, "Generation", err)
		if gen != 3 {
			t.Fatalf("Generation = %d, want 3", gen)
		}
		gen, err = s.Generation(ctx, bob)
		noErr(t, "Generation of another user", err)
		if gen != 0 {
			t.Fatalf("another user's Generation = %d, want 0", gen)
		}
		snap, err := s.Revocations(ctx)
		noErr(t, "Revocations", err)
		if snap.Generations[alice] != 3 {
			t.Fatalf("snapshot generation = %d, want 3", snap.Generations[alice])
		}
		if _, ok := snap.Generations[bob]; ok {
			t.Fatal("snapshot lists a user who was never bumped")
		}
	})

	t.Run("another store on the same backend receives published revocations", func(t *testing.T) {
		t.Parallel()
		publisher, listener, ctx := open(t), open(t), ctxFor(t)
		sub := subscribe(t, listener)
		sid, until, email := uniq("sid"), now().Add(time.Hour), uniqEmail()
		noErr(t, "RevokeSession", publisher.RevokeSession(ctx, sid, until))
		gen, err := publisher.BumpGeneration(ctx, email)
		noErr(t, "BumpGeneration", err)

		ev := sub.next(t)
		if ev.SessionID != sid || !ms(ev.Until).Equal(ms(until)) || ev.Email != "" || ev.Generation != 0 {
			t.Fatalf("first event = %+v, want session %s until %v", ev, sid, until)
		}
		ev = sub.next(t)
		if ev.Email != email || ev.Generation != gen || ev.SessionID != "" {
			t.Fatalf("second event = %+v, want %s at generation %d", ev, email, gen)
		}
	})

	t.Run("every subscriber receives each revocation", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		first, second := subscribe(t, s), subscribe(t, s)
		sid := uniq("sid")
		noErr(t, "RevokeSession", s.RevokeSession(ctx, sid, now().Add(time.Hour)))
		for i, sub := range []*subscription{first, second} {
			if ev := sub.next(t); ev.SessionID != sid {
				t.Fatalf("subscriber %d got %+v, want session %s", i, ev, sid)
			}
		}
	})

	t.Run("SubscribeRevocations returns the context's error when it ends", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		sub := subscribe(t, s)
		sub.cancel()
		select {
		case err := <-sub.done:
			sub.done <- err // for the cleanup
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("SubscribeRevocations returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("SubscribeRevocations did not return after its context ended")
		}
	})
}
