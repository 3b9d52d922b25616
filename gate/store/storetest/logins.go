package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// newLogin returns a pending login with every field set.
func newLogin() *store.Login {
	at := now()
	return &store.Login{
		ID:          uniq("login"),
		Email:       uniqEmail(),
		AppID:       "ops-centre",
		Code:        42,
		Choices:     []int{17, 42, 88},
		BindingHash: "c2VjcmV0LWJpbmRpbmctaGFzaA",
		ReturnURL:   "https://app.example.com/x?y=1",
		ClientIP:    "203.0.113.7",
		UserAgent:   "Mozilla/5.0 (X11; Linux x86_64)",
		CreatedAt:   at,
		ExpiresAt:   at.Add(2 * time.Minute),
		Status:      store.LoginPending,
		Groups:      []string{"devs", "ops"},
		Withheld:    true,
		API:         true,
	}
}

// normLogin returns a copy of l with its times normalized by ms.
func normLogin(l *store.Login) store.Login {
	c := *l
	c.CreatedAt, c.ExpiresAt, c.DecidedAt = ms(c.CreatedAt), ms(c.ExpiresAt), ms(c.DecidedAt)
	return c
}

// sameLogin fails the test unless got and want agree on every field.
func sameLogin(t *testing.T, what string, got, want *store.Login) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil login", what)
	}
	if g, w := normLogin(got), normLogin(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

func runLogins(t *testing.T, open Opener) {
	t.Run("CreateLogin then GetLogin round-trips every field", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		got, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		sameLogin(t, "GetLogin", got, l)
		got.Choices[0], got.Groups[0] = 99, "admin" // the caller's copy is its own
		again, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin again", err)
		sameLogin(t, "GetLogin after mutating a returned copy", again, l)
	})

	t.Run("CreateLogin with an existing id is a conflict and changes nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		other := newLogin()
		other.ID = l.ID
		wantErr(t, "second CreateLogin", s.CreateLogin(ctx, other, time.Minute), store.ErrConflict)
		got, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		sameLogin(t, "GetLogin after conflict", got, l)
	})

	t.Run("GetLogin of an unknown id is not found", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		_, err := s.GetLogin(ctx, uniq("nobody"))
		wantErr(t, "GetLogin", err, store.ErrNotFound)
	})

	t.Run("a login is gone after its TTL", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, shortTTL))
		_, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin before expiry", err)
		time.Sleep(expireWait)
		_, err = s.GetLogin(ctx, l.ID)
		wantErr(t, "GetLogin after expiry", err, store.ErrNotFound)
		_, err = s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, At: now()})
		wantErr(t, "TransitionLogin after expiry", err, store.ErrNotFound)
	})

	t.Run("TransitionLogin moves the login and records the change", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		at := now()
		got, err := s.TransitionLogin(ctx, l.ID, store.Transition{
			From: store.LoginPending, To: store.LoginDenied, Reason: "wrong_number",
			DeviceID: "dev-1", At: at, SessionID: "",
		})
		noErr(t, "TransitionLogin", err)
		want := *l
		want.Status, want.Reason, want.DeviceID, want.DecidedAt = store.LoginDenied, "wrong_number", "dev-1", at
		sameLogin(t, "returned login", got, &want)
		stored, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		sameLogin(t, "stored login", stored, &want)
	})

	t.Run("TransitionLogin keeps what a transition leaves zero", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		decided := now()
		_, err := s.TransitionLogin(ctx, l.ID, store.Transition{
			From: store.LoginPending, To: store.LoginApproved, DeviceID: "dev-7", At: decided,
		})
		noErr(t, "approve", err)
		got, err := s.TransitionLogin(ctx, l.ID, store.Transition{
			From: store.LoginApproved, To: store.LoginCollected, SessionID: "sid-9",
		})
		noErr(t, "collect", err)
		want := *l
		want.Status, want.DeviceID, want.DecidedAt, want.SessionID = store.LoginCollected, "dev-7", decided, "sid-9"
		sameLogin(t, "collected login", got, &want)
	})

	t.Run("TransitionLogin from the wrong status is a conflict that returns the login as it is", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		got, err := s.TransitionLogin(ctx, l.ID, store.Transition{
			From: store.LoginApproved, To: store.LoginCollected, SessionID: "sid", At: now(),
		})
		wantErr(t, "TransitionLogin", err, store.ErrConflict)
		sameLogin(t, "login returned with the conflict", got, l)
		stored, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		sameLogin(t, "stored login", stored, l)
	})

	t.Run("TransitionLogin of an unknown id is not found and creates nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		id := uniq("ghost")
		_, err := s.TransitionLogin(ctx, id, store.Transition{From: store.LoginPending, To: store.LoginApproved, At: now()})
		wantErr(t, "TransitionLogin", err, store.ErrNotFound)
		_, err = s.GetLogin(ctx, id)
		wantErr(t, "GetLogin", err, store.ErrNotFound)
	})

	t.Run("TransitionLogin keeps the login's TTL", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, shortTTL))
		_, err := s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, At: now()})
		noErr(t, "TransitionLogin", err)
		time.Sleep(expireWait)
		_, err = s.GetLogin(ctx, l.ID)
		wantErr(t, "GetLogin after the original TTL", err, store.ErrNotFound)
	})

	t.Run("of 50 concurrent transitions exactly one wins and the record agrees", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := newLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		const n = 50
		trans := func(i int) store.Transition {
			if i%2 == 0 {
				return store.Transition{From: store.LoginPending, To: store.LoginApproved, DeviceID: "dev-approve", At: now()}
			}
			return store.Transition{From: store.LoginPending, To: store.LoginDenied, Reason: "denied", DeviceID: "dev-deny", At: now()}
		}
		results := make([]*store.Login, n)
		errs := race(n, func(i int) error {
			var err error
			results[i], err = s.TransitionLogin(ctx, l.ID, trans(i))
			return err
		})
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("calls %d and %d both won", winner, i)
				}
				winner = i
			case errors.Is(err, store.ErrConflict):
			default:
				t.Fatalf("call %d: unexpected error %v", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no call won")
		}
		want := trans(winner)
		stored, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		if stored.Status != want.To || stored.DeviceID != want.DeviceID || stored.Reason != want.Reason {
			t.Fatalf("stored login %s/%s/%q disagrees with winner %s/%s/%q",
				stored.Status, stored.DeviceID, stored.Reason, want.To, want.DeviceID, want.Reason)
		}
		sameLogin(t, "winner's returned login", results[winner], stored)
		for i, err := range errs {
			if i == winner {
				continue
			}
			if results[i] == nil || results[i].Status != want.To {
				t.Fatalf("loser %d (err %v) got login %+v, want it as the winner left it (%s)", i, err, results[i], want.To)
			}
		}
	})
}

func runPending(t *testing.T, open Opener) {
	t.Run("ClaimPending records one pending login per email", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email, a, b := uniqEmail(), uniq("a"), uniq("b")
		got, err := s.ClaimPending(ctx, email, a, time.Minute)
		noErr(t, "first claim", err)
		if got != a {
			t.Fatalf("first claim returned %q, want %q", got, a)
		}
		got, err = s.ClaimPending(ctx, email, b, time.Minute)
		wantErr(t, "second claim", err, store.ErrConflict)
		if got != a {
			t.Fatalf("conflicting claim returned %q, want the holder %q", got, a)
		}
		id, err := s.PendingFor(ctx, email)
		noErr(t, "PendingFor", err)
		if id != a {
			t.Fatalf("PendingFor = %q, want %q", id, a)
		}
		got, err = s.ClaimPending(ctx, email, a, time.Minute)
		noErr(t, "the holder claiming again", err)
		if got != a {
			t.Fatalf("repeat claim returned %q, want %q", got, a)
		}
		other, err := s.ClaimPending(ctx, uniqEmail(), b, time.Minute)
		noErr(t, "claim for another email", err)
		if other != b {
			t.Fatalf("claim for another email returned %q, want %q", other, b)
		}
	})

	t.Run("ReleasePending clears only the named login", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email, a, b := uniqEmail(), uniq("a"), uniq("b")
		_, err := s.ClaimPending(ctx, email, a, time.Minute)
		noErr(t, "claim", err)
		noErr(t, "release of another id", s.ReleasePending(ctx, email, b))
		id, err := s.PendingFor(ctx, email)
		noErr(t, "PendingFor after releasing another id", err)
		if id != a {
			t.Fatalf("PendingFor = %q, want %q", id, a)
		}
		noErr(t, "release", s.ReleasePending(ctx, email, a))
		_, err = s.PendingFor(ctx, email)
		wantErr(t, "PendingFor after release", err, store.ErrNotFound)
		_, err = s.ClaimPending(ctx, email, b, time.Minute)
		noErr(t, "claim after release", err)
	})

	t.Run("ReleasePending and PendingFor of an unknown email", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email := uniqEmail()
		noErr(t, "ReleasePending", s.ReleasePending(ctx, email, uniq("x")))
		_, err := s.PendingFor(ctx, email)
		wantErr(t, "PendingFor", err, store.ErrNotFound)
	})

	t.Run("a pending claim lapses after its TTL", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		email, a, b := uniqEmail(), uniq("a"), uniq("b")
		_, err := s.ClaimPending(ctx, email, a, shortTTL)
		noErr(t, "claim", err)
		time.Sleep(expireWait)
		_, err = s.PendingFor(ctx, email)
		wantErr(t, "PendingFor after expiry", err, store.ErrNotFound)
		got, err := s.ClaimPending(ctx, email, b, time.Minute)
		noErr(t, "claim after expiry", err)
		if got != b {
			t.Fatalf("claim after expiry returned %q, want %q", got, b)
		}
	})
}
