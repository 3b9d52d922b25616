package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// approval is a device's approval of l with the number n.
func approval(l *store.Login, n int) store.Decision {
	return store.Decision{
		Email: l.Email, DeviceID: "dev-1", At: now(), ExpiredReason: "expired",
		To: store.LoginApproved, CheckNumber: true, Number: n, WrongTo: store.LoginDenied, WrongReason: "wrong_number",
	}
}

// startedLogin creates l with its pending claim.
func startedLogin(t *testing.T, s store.Store, l *store.Login) {
	t.Helper()
	_, err := s.StartLogin(ctxFor(t), store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
	noErr(t, "StartLogin", err)
}

func runDecide(t *testing.T, open Opener) {
	t.Run("DecideLogin approves with the right number and releases the claim", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		startedLogin(t, s, l)
		d := approval(l, l.Code)
		got, outcome, err := s.DecideLogin(ctx, l.ID, d)
		noErr(t, "DecideLogin", err)
		if outcome != store.Decided || got.Status != store.LoginApproved || got.DeviceID != "dev-1" || got.Reason != "" || !ms(got.DecidedAt).Equal(d.At) {
			t.Fatalf("DecideLogin: %v %+v", outcome, got)
		}
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
		again, outcome, err := s.DecideLogin(ctx, l.ID, approval(l, l.Code))
		if err != nil || outcome != store.AlreadyDecided || again.Status != store.LoginApproved {
			t.Fatalf("second DecideLogin: %v %+v %v", outcome, again, err)
		}
	})

	t.Run("DecideLogin denies a wrong number, and records a denial", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		startedLogin(t, s, l)
		got, outcome, err := s.DecideLogin(ctx, l.ID, approval(l, l.Code+1))
		if err != nil || outcome != store.Decided || got.Status != store.LoginDenied || got.Reason != "wrong_number" || got.DeviceID != "dev-1" {
			t.Fatalf("DecideLogin with a wrong number: %v %+v %v", outcome, got, err)
		}
		l2 := stepLogin()
		startedLogin(t, s, l2)
		deny := store.Decision{Email: l2.Email, DeviceID: "dev-2", At: now(), ExpiredReason: "expired", To: store.LoginDenied, Reason: "reported"}
		got, outcome, err = s.DecideLogin(ctx, l2.ID, deny)
		if err != nil || outcome != store.Decided || got.Status != store.LoginDenied || got.Reason != "reported" || got.DeviceID != "dev-2" {
			t.Fatalf("DecideLogin deny: %v %+v %v", outcome, got, err)
		}
	})

	t.Run("DecideLogin expires a login past its window", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		l.ExpiresAt = now().Add(-time.Second)
		startedLogin(t, s, l)
		got, outcome, err := s.DecideLogin(ctx, l.ID, approval(l, l.Code))
		if err != nil || outcome != store.Expired || got.Status != store.LoginExpired || got.Reason != "expired" || got.DeviceID != "" {
			t.Fatalf("DecideLogin after the window: %v %+v %v", outcome, got, err)
		}
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
	})

	t.Run("DecideLogin finds no login of another email, nor a withheld one", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		startedLogin(t, s, l)
		d := approval(l, l.Code)
		d.Email = uniqEmail()
		_, _, err := s.DecideLogin(ctx, l.ID, d)
		wantErr(t, "DecideLogin by another user", err, store.ErrNotFound)
		w := stepLogin()
		w.Withheld = true
		startedLogin(t, s, w)
		_, _, err = s.DecideLogin(ctx, w.ID, approval(w, w.Code))
		wantErr(t, "DecideLogin of a withheld login", err, store.ErrNotFound)
		_, _, err = s.DecideLogin(ctx, store.NewLoginID(l.Email, "none"), approval(l, l.Code))
		wantErr(t, "DecideLogin of no login", err, store.ErrNotFound)
		if got, err := s.GetLogin(ctx, l.ID); err != nil || got.Status != store.LoginPending {
			t.Fatalf("login after refused decisions: %+v %v", got, err)
		}
	})

	t.Run("DecideLogin decides a login whose id has no group", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		l.Withheld = false
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		_, err := s.ClaimPending(ctx, l.Email, l.ID, time.Minute)
		noErr(t, "ClaimPending", err)
		got, outcome, err := s.DecideLogin(ctx, l.ID, approval(l, l.Code))
		if err != nil || outcome != store.Decided || got.Status != store.LoginApproved {
			t.Fatalf("DecideLogin: %v %+v %v", outcome, got, err)
		}
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
	})

	t.Run("of concurrent DecideLogin calls one decides", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		startedLogin(t, s, l)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, outcome, err := s.DecideLogin(ctx, l.ID, approval(l, l.Code+i%2))
				if err != nil {
					t.Errorf("DecideLogin: %v", err)
				}
				if outcome == store.Decided {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent decisions won, want 1", wins.Load())
		}
	})
}
