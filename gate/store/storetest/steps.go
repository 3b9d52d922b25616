package storetest

import (
	"crypto/rand"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// stepLogin returns a pending login whose id carries its email's group,
// as store.NewLoginID makes it.
func stepLogin() *store.Login {
	l := newLogin()
	l.ID = store.NewLoginID(l.Email, rand.Text())
	l.API, l.Withheld = false, false
	return l
}

// fullStart is a start of l with a pause, a counter and a recent marker.
func fullStart(l *store.Login) store.LoginStart {
	return store.LoginStart{
		Email:   l.Email,
		Pauses:  []string{store.UserKey(l.Email, "block"), store.UserKey(l.Email, "lock")},
		Counter: store.UserKey(l.Email, "rl"), Window: time.Minute, Limit: 2,
		Login: l, TTL: time.Minute, PendingTTL: time.Minute,
		Recent: store.UserKey(l.Email, "recent"), RecentTTL: time.Minute,
	}
}

func runLoginSteps(t *testing.T, open Opener) {
	t.Run("StartLogin counts, claims, creates and takes the recent marker", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		got, err := s.StartLogin(ctx, fullStart(l))
		noErr(t, "StartLogin", err)
		if !got.Created || !got.Recent || got.Count != 1 || got.CountReset <= 0 || got.CountReset > time.Minute || got.Limited || got.Holder != "" || got.Paused != "" {
			t.Fatalf("StartLogin: %+v", got)
		}
		stored, err := s.GetLogin(ctx, l.ID)
		noErr(t, "GetLogin", err)
		sameLogin(t, "GetLogin", stored, l)
		if id, err := s.PendingFor(ctx, l.Email); err != nil || id != l.ID {
			t.Fatalf("PendingFor: %q %v", id, err)
		}
		if _, err := s.MarkTTL(ctx, store.UserKey(l.Email, "recent")); err != nil {
			t.Fatalf("recent marker: %v", err)
		}
		// The same browser's next login, once the first is released:
		// counted, and the recent marker is taken already.
		noErr(t, "ReleasePending", s.ReleasePending(ctx, l.Email, l.ID))
		l2 := stepLogin()
		l2.Email = l.Email
		l2.ID = store.NewLoginID(l.Email, rand.Text())
		got, err = s.StartLogin(ctx, fullStart(l2))
		noErr(t, "second StartLogin", err)
		if !got.Created || got.Recent || got.Count != 2 {
			t.Fatalf("second StartLogin: %+v", got)
		}
	})

	t.Run("StartLogin refuses while a pause is set and changes nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		noErr(t, "Mark", s.Mark(ctx, store.UserKey(l.Email, "lock"), time.Minute))
		got, err := s.StartLogin(ctx, fullStart(l))
		noErr(t, "StartLogin", err)
		if got.Paused != store.UserKey(l.Email, "lock") || got.PausedFor <= 0 || got.PausedFor > time.Minute || got.Created {
			t.Fatalf("StartLogin: %+v", got)
		}
		wantErr(t, "GetLogin", func() error { _, err := s.GetLogin(ctx, l.ID); return err }(), store.ErrNotFound)
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
		noErr(t, "Unmark", s.Unmark(ctx, store.UserKey(l.Email, "lock")))
		if got, err := s.StartLogin(ctx, fullStart(l)); err != nil || !got.Created || got.Count != 1 {
			t.Fatalf("StartLogin after the pause (a refused start counts nothing): %+v %v", got, err)
		}
	})

	t.Run("StartLogin refuses past the limit and changes nothing else", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		for range 2 {
			_, _, err := s.Hit(ctx, store.UserKey(l.Email, "rl"), time.Minute)
			noErr(t, "Hit", err)
		}
		got, err := s.StartLogin(ctx, fullStart(l))
		noErr(t, "StartLogin", err)
		if !got.Limited || got.Count != 3 || got.CountReset <= 0 || got.CountReset > time.Minute || got.Created || got.Recent {
			t.Fatalf("StartLogin: %+v", got)
		}
		wantErr(t, "GetLogin", func() error { _, err := s.GetLogin(ctx, l.ID); return err }(), store.ErrNotFound)
		wantErr(t, "recent marker", func() error { _, err := s.MarkTTL(ctx, store.UserKey(l.Email, "recent")); return err }(), store.ErrNotFound)
	})

	t.Run("StartLogin without a login only checks and counts", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		st := fullStart(l)
		st.Login = nil
		got, err := s.StartLogin(ctx, st)
		noErr(t, "StartLogin", err)
		if got.Created || got.Count != 1 || got.Limited {
			t.Fatalf("StartLogin: %+v", got)
		}
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
		wantErr(t, "recent marker", func() error { _, err := s.MarkTTL(ctx, store.UserKey(l.Email, "recent")); return err }(), store.ErrNotFound)
	})

	t.Run("StartLogin names the login holding the claim and creates nothing", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		first := stepLogin()
		_, err := s.StartLogin(ctx, store.LoginStart{Email: first.Email, Login: first, TTL: time.Minute, PendingTTL: time.Minute})
		noErr(t, "first StartLogin", err)
		l := stepLogin()
		l.Email = first.Email
		l.ID = store.NewLoginID(l.Email, rand.Text())
		got, err := s.StartLogin(ctx, fullStart(l))
		noErr(t, "StartLogin", err)
		if got.Holder != first.ID || got.Created || got.Recent {
			t.Fatalf("StartLogin: %+v", got)
		}
		wantErr(t, "GetLogin", func() error { _, err := s.GetLogin(ctx, l.ID); return err }(), store.ErrNotFound)
		// Without the pause and the counter, after the release: created.
		noErr(t, "ReleasePending", s.ReleasePending(ctx, l.Email, first.ID))
		got, err = s.StartLogin(ctx, store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
		if err != nil || !got.Created || got.Count != 0 {
			t.Fatalf("StartLogin after the release: %+v %v", got, err)
		}
	})

	t.Run("StartLogin of an Unclaimed login neither waits for the claim nor takes it", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		typed := stepLogin()
		st := fullStart(typed)
		st.Unclaimed, st.PendingTTL = true, 0
		got, err := s.StartLogin(ctx, st)
		noErr(t, "unclaimed StartLogin", err)
		if !got.Created || got.Holder != "" || got.Count != 1 {
			t.Fatalf("unclaimed StartLogin: %+v", got)
		}
		if _, err := s.GetLogin(ctx, typed.ID); err != nil {
			t.Fatalf("GetLogin of the unclaimed login: %v", err)
		}
		wantErr(t, "PendingFor after an unclaimed start", func() error { _, err := s.PendingFor(ctx, typed.Email); return err }(), store.ErrNotFound)
		wantErr(t, "PendingLogin after an unclaimed start", func() error { _, err := s.PendingLogin(ctx, typed.Email); return err }(), store.ErrNotFound)
		// A claiming login of the same user after it: created, holding the claim.
		pushed := stepLogin()
		pushed.Email = typed.Email
		pushed.ID = store.NewLoginID(pushed.Email, rand.Text())
		got, err = s.StartLogin(ctx, store.LoginStart{Email: pushed.Email, Login: pushed, TTL: time.Minute, PendingTTL: time.Minute})
		if err != nil || !got.Created || got.Holder != "" {
			t.Fatalf("claiming StartLogin after an unclaimed one: %+v %v", got, err)
		}
		if id, err := s.PendingFor(ctx, pushed.Email); err != nil || id != pushed.ID {
			t.Fatalf("PendingFor: %q %v, want %s", id, err, pushed.ID)
		}
		// Another unclaimed login while the claim is held: created, and
		// the claim stays the claiming login's.
		typed2 := stepLogin()
		typed2.Email = typed.Email
		typed2.ID = store.NewLoginID(typed2.Email, rand.Text())
		got, err = s.StartLogin(ctx, store.LoginStart{Email: typed2.Email, Login: typed2, TTL: time.Minute, Unclaimed: true})
		if err != nil || !got.Created || got.Holder != "" {
			t.Fatalf("unclaimed StartLogin while the claim is held: %+v %v", got, err)
		}
		if id, err := s.PendingFor(ctx, pushed.Email); err != nil || id != pushed.ID {
			t.Fatalf("PendingFor after the second unclaimed start: %q %v, want %s", id, err, pushed.ID)
		}
		// Its decision leaves the claim alone.
		_, err = s.TransitionLogin(ctx, typed2.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, ReleaseEmail: typed2.Email})
		noErr(t, "TransitionLogin of the unclaimed login", err)
		if id, err := s.PendingFor(ctx, pushed.Email); err != nil || id != pushed.ID {
			t.Fatalf("PendingFor after the unclaimed login's decision: %q %v, want %s", id, err, pushed.ID)
		}
	})

	t.Run("the steps of a login of an email with an apostrophe check and clear its counters", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		l.Email = "o'brien." + l.Email
		l.ID = store.NewLoginID(l.Email, rand.Text())
		fail, codeFail := store.UserKey(l.Email, "fail"), store.UserKey(l.Email, "code_fail")
		for _, k := range []string{fail, fail, codeFail} {
			_, _, err := s.Hit(ctx, k, time.Minute)
			noErr(t, "Hit", err)
		}
		noErr(t, "Mark", s.Mark(ctx, store.UserKey(l.Email, "lock"), time.Minute))
		got, err := s.StartLogin(ctx, fullStart(l))
		if err != nil || got.Paused != store.UserKey(l.Email, "lock") {
			t.Fatalf("StartLogin while paused: %+v %v", got, err)
		}
		noErr(t, "Unmark", s.Unmark(ctx, store.UserKey(l.Email, "lock")))
		got, err = s.StartLogin(ctx, fullStart(l))
		if err != nil || !got.Created || !got.Recent || got.Count != 1 {
			t.Fatalf("StartLogin: %+v %v", got, err)
		}
		if p, err := s.PendingLogin(ctx, l.Email); err != nil || p.ID != l.ID {
			t.Fatalf("PendingLogin: %+v %v", p, err)
		}
		_, err = s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, DeviceID: "dev-1", At: now(), ReleaseEmail: l.Email})
		noErr(t, "approve", err)
		c, collected, err := s.CollectLogin(ctx, l.ID, store.Collection{BindingHash: l.BindingHash, SessionID: "sess-1", ResetCounters: []string{"fail", "code_fail"}})
		if err != nil || !collected || c.Status != store.LoginCollected || c.Email != l.Email {
			t.Fatalf("CollectLogin: %v %+v %v", collected, c, err)
		}
		for _, k := range []string{fail, codeFail} {
			if n, _, err := s.Hit(ctx, k, time.Minute); err != nil || n != 1 {
				t.Fatalf("counter %q after the collection: %d %v, want a fresh count of 1", k, n, err)
			}
		}
	})

	t.Run("StartLogin of an existing id is ErrConflict; foreign user keys are refused", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		_, err := s.StartLogin(ctx, store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
		wantErr(t, "StartLogin", err, store.ErrConflict)
		wantErr(t, "PendingFor", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
		st := fullStart(stepLogin())
		st.Counter = store.UserKey(uniqEmail(), "rl")
		if _, err := s.StartLogin(ctx, st); err == nil {
			t.Fatal("StartLogin with another user's counter: no error")
		}
	})

	t.Run("PendingLogin returns the claimed login, or ErrNotFound", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		wantErr(t, "PendingLogin without a claim", func() error { _, err := s.PendingLogin(ctx, l.Email); return err }(), store.ErrNotFound)
		_, err := s.StartLogin(ctx, store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
		noErr(t, "StartLogin", err)
		got, err := s.PendingLogin(ctx, l.Email)
		noErr(t, "PendingLogin", err)
		sameLogin(t, "PendingLogin", got, l)
		// A claim whose login is gone.
		other := uniqEmail()
		_, err = s.ClaimPending(ctx, other, store.NewLoginID(other, rand.Text()), time.Minute)
		noErr(t, "ClaimPending", err)
		wantErr(t, "PendingLogin of a claim without its login", func() error { _, err := s.PendingLogin(ctx, other); return err }(), store.ErrNotFound)
	})

	t.Run("a transition with ReleaseEmail clears the claim once it changes the login", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		_, err := s.StartLogin(ctx, store.LoginStart{Email: l.Email, Login: l, TTL: time.Minute, PendingTTL: time.Minute})
		noErr(t, "StartLogin", err)
		_, err = s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginApproved, To: store.LoginCollected, ReleaseEmail: l.Email})
		wantErr(t, "losing transition", err, store.ErrConflict)
		if id, err := s.PendingFor(ctx, l.Email); err != nil || id != l.ID {
			t.Fatalf("a transition that changed nothing released the claim: %q %v", id, err)
		}
		_, err = s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginDenied, Reason: "denied", ReleaseEmail: l.Email})
		noErr(t, "TransitionLogin", err)
		wantErr(t, "PendingFor after the decision", func() error { _, err := s.PendingFor(ctx, l.Email); return err }(), store.ErrNotFound)
	})

	t.Run("CollectLogin collects once, with the binding and API mark, and clears the counters", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		l := stepLogin()
		noErr(t, "CreateLogin", s.CreateLogin(ctx, l, time.Minute))
		fail := store.UserKey(l.Email, "fail")
		_, _, err := s.Hit(ctx, fail, time.Minute)
		noErr(t, "Hit", err)
		c := store.Collection{BindingHash: l.BindingHash, SessionID: "sess-1", ResetCounters: []string{"fail"}}
		got, collected, err := s.CollectLogin(ctx, l.ID, c)
		noErr(t, "CollectLogin of a pending login", err)
		if collected || got.Status != store.LoginPending {
			t.Fatalf("CollectLogin of a pending login: %v %+v", collected, got)
		}
		_, err = s.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginPending, To: store.LoginApproved, DeviceID: "dev-1", At: now()})
		noErr(t, "approve", err)
		for _, bad := range []store.Collection{
			{BindingHash: "other", SessionID: "x", ResetCounters: []string{"fail"}},
			{BindingHash: "", SessionID: "x"},
			{BindingHash: l.BindingHash, API: true, SessionID: "x"},
		} {
			got, collected, err := s.CollectLogin(ctx, l.ID, bad)
			if err != nil || collected || got.Status != store.LoginApproved || got.SessionID != "" {
				t.Fatalf("CollectLogin with %+v: %v %+v %v", bad, collected, got, err)
			}
		}
		if n, _, err := s.Hit(ctx, fail, time.Minute); err != nil || n != 2 {
			t.Fatalf("a refused collection cleared the counter: %d %v", n, err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, collected, err := s.CollectLogin(ctx, l.ID, c)
				if err != nil {
					t.Errorf("CollectLogin: %v", err)
					return
				}
				if collected {
					wins.Add(1)
					if got.Status != store.LoginCollected || got.SessionID != "sess-1" || got.DeviceID != "dev-1" {
						t.Errorf("collected login: %+v", got)
					}
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent collections won, want 1", wins.Load())
		}
		if n, _, err := s.Hit(ctx, fail, time.Minute); err != nil || n != 1 {
			t.Fatalf("counter after the collection: %d %v, want a fresh count of 1", n, err)
		}
		_, _, err = s.CollectLogin(ctx, "no-such-login", c)
		wantErr(t, "CollectLogin of no login", err, store.ErrNotFound)
	})
}

func runDeviceSteps(t *testing.T, open Opener) {
	t.Run("UseDevice takes a marker once and records the use", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		_, err := s.UseDevice(ctx, uniq("dev"), "sig-1", time.Minute, now())
		wantErr(t, "UseDevice of no device", err, store.ErrNotFound)
		used := now().Add(time.Hour)
		got, err := s.UseDevice(ctx, d.ID, "sig-1", time.Minute, used)
		noErr(t, "UseDevice", err)
		want := *d
		want.LastUsed = used
		sameDevice(t, "UseDevice", got, &want)
		_, err = s.UseDevice(ctx, d.ID, "sig-1", time.Minute, time.Time{})
		wantErr(t, "UseDevice again with the marker", err, store.ErrConflict)
		got, err = s.UseDevice(ctx, d.ID, "sig-2", time.Minute, time.Time{})
		noErr(t, "UseDevice with another marker and no time", err)
		sameDevice(t, "UseDevice without a time", got, &want)
		other := newDevice(d.Email, now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, other))
		_, err = s.UseDevice(ctx, other.ID, "sig-1", time.Minute, time.Time{})
		noErr(t, "UseDevice of another device with the same marker", err)
	})

	t.Run("UseDevice refuses every replay among many markers at once", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		const n = 40 // more than a store may keep in one place
		for i := range n {
			_, err := s.UseDevice(ctx, d.ID, "sig-"+strconv.Itoa(i), time.Minute, time.Time{})
			noErr(t, "UseDevice", err)
		}
		for i := range n {
			_, err := s.UseDevice(ctx, d.ID, "sig-"+strconv.Itoa(i), time.Minute, time.Time{})
			wantErr(t, "UseDevice replayed", err, store.ErrConflict)
		}
		got, err := s.GetDevice(ctx, d.ID)
		noErr(t, "GetDevice", err)
		sameDevice(t, "GetDevice after many markers", got, d)
	})

	t.Run("UseDevice markers expire", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		_, err := s.UseDevice(ctx, d.ID, "sig", shortTTL, time.Time{})
		noErr(t, "UseDevice", err)
		time.Sleep(expireWait)
		_, err = s.UseDevice(ctx, d.ID, "sig", shortTTL, time.Time{})
		noErr(t, "UseDevice after the marker expired", err)
	})

	t.Run("NoteApproval says first once", func(t *testing.T) {
		t.Parallel()
		s, ctx := open(t), ctxFor(t)
		d := newDevice(uniqEmail(), now())
		noErr(t, "CreateDevice", s.CreateDevice(ctx, d))
		_, _, err := s.NoteApproval(ctx, uniq("dev"))
		wantErr(t, "NoteApproval of no device", err, store.ErrNotFound)
		for i, want := range []bool{true, false, false} {
			got, first, err := s.NoteApproval(ctx, d.ID)
			noErr(t, "NoteApproval", err)
			if first != want {
				t.Fatalf("NoteApproval %d: first %v, want %v", i, first, want)
			}
			sameDevice(t, "NoteApproval", got, d)
		}
		if err := s.DeleteDevice(ctx, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		_, _, err = s.NoteApproval(ctx, d.ID)
		wantErr(t, "NoteApproval of a deleted device", err, store.ErrNotFound)
	})
}
