package flow

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// denyAlice starts n logins of alice and denies each on her phone.
func (f *fixture) denyAlice(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		s := f.start(t, "alice@example.com", "192.0.2.1", "")
		if _, err := f.svc.Decide(context.Background(), f.dev, s.Login.ID, DecisionDeny, 0); err != nil {
			t.Fatalf("deny %d: %v", i+1, err)
		}
	}
}

func TestFiveRefusalsLockTheUserUntilUnblocked(t *testing.T) {
	f := newFixture(t, Config{PushesPerEmail: 100})
	ctx := context.Background()
	f.denyAlice(t, 5)
	_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != ReasonLocked || limit.RetryAfter < DefaultLockoutDuration-1e9 {
		t.Fatalf("sixth start: %v, want a 15 min lockout", err)
	}
	if f.events.count(event.UserLocked) != 1 || f.events.count(event.LoginRequested) != 5 {
		t.Fatalf("events: %d user_locked, %d login_requested", f.events.count(event.UserLocked), f.events.count(event.LoginRequested))
	}
	p, err := f.svc.Paused(ctx, "alice@example.com")
	if err != nil || p == nil || p.Reason != ReasonLocked {
		t.Fatalf("Paused: %+v %v", p, err)
	}
	// Another user is not touched.
	f.start(t, "bob@example.com", "192.0.2.1", "")
	u, err := f.svc.Unblock(ctx, "alice@example.com", "admin")
	if err != nil || !u.Locked || u.Reported {
		t.Fatalf("Unblock: %+v %v", u, err)
	}
	if f.events.count(event.UserUnblocked) != 1 {
		t.Fatal("no user_unblocked event")
	}
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	if !s.Pushed {
		t.Fatal("the first login after unblock sends no push")
	}
}

func TestASuccessfulLoginResetsTheCount(t *testing.T) {
	f := newFixture(t, Config{PushesPerEmail: 100})
	ctx := context.Background()
	for round := range 2 {
		for range 4 {
			s := f.start(t, "alice@example.com", "", "")
			if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionDeny, 0); err != nil {
				t.Fatal(err)
			}
		}
		s := f.start(t, "alice@example.com", "", "")
		if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.Check(ctx, s.Login.ID, s.Binding); err != nil || res.Session == nil {
			t.Fatalf("round %d: collect: %v", round, err)
		}
	}
	if f.events.count(event.UserLocked) != 0 {
		t.Fatal("locked although every fifth login succeeded")
	}
}

func TestReportPausesAndUnblockClearsIt(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "", "")
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionReport, 0); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.Paused(ctx, "alice@example.com")
	if err != nil || p == nil || p.Reason != ReasonReported {
		t.Fatalf("Paused after report: %+v %v", p, err)
	}
	u, err := f.svc.Unblock(ctx, "alice@example.com", "admin")
	if err != nil || !u.Reported {
		t.Fatalf("Unblock: %+v %v", u, err)
	}
	if p, _ := f.svc.Paused(ctx, "alice@example.com"); p != nil {
		t.Fatalf("still paused: %+v", p)
	}
	f.start(t, "alice@example.com", "", "")
}

func TestALoginWithin15sOfTheLastSendsNoSecondPush(t *testing.T) {
	f := newFixture(t, Config{})
	first := f.start(t, "alice@example.com", "", "")
	second := f.start(t, "alice@example.com", "", first.Binding)
	if !first.Pushed || second.Pushed {
		t.Fatalf("pushed: first %v, second %v; want true, false", first.Pushed, second.Pushed)
	}
	quiet, err := f.svc.Start(context.Background(), StartRequest{Email: "bob@example.com", Quiet: true})
	if err != nil || quiet.Pushed {
		t.Fatalf("quiet start: %+v %v", quiet, err)
	}
}

// A browser that keeps starting logins for someone else's email, each
// one superseding or cancelling its unanswered predecessor, sends the
// victim a push every time: those unanswered requests count toward the
// lockout like expired ones, or the lockout would never stop a push
// bombing. The start whose supersession completes the count is refused
// too, so no sixth push goes out.
func TestUnansweredLoginsEndedByTheirBrowserCountTowardTheLockout(t *testing.T) {
	t.Run("superseded", func(t *testing.T) {
		f := newFixture(t, Config{PushesPerEmail: 100})
		binding := ""
		for range 5 {
			binding = f.start(t, "alice@example.com", "192.0.2.1", binding).Binding
		}
		_, err := f.svc.Start(context.Background(), StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", PreviousBinding: binding})
		var limit *LimitError
		if !errors.As(err, &limit) || limit.Reason != ReasonLocked {
			t.Fatalf("sixth start, superseding the fifth unanswered login: %v, want a lockout", err)
		}
		if f.events.count(event.UserLocked) != 1 || f.events.count(event.LoginRequested) != 5 {
			t.Fatalf("events: %d user_locked, %d login_requested; want 1 and 5",
				f.events.count(event.UserLocked), f.events.count(event.LoginRequested))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFixture(t, Config{PushesPerEmail: 100})
		ctx := context.Background()
		for i := range 5 {
			s := f.start(t, "alice@example.com", "192.0.2.1", "")
			if _, err := f.svc.Cancel(ctx, s.Login.ID, s.Binding); err != nil {
				t.Fatalf("cancel %d: %v", i+1, err)
			}
		}
		_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"})
		var limit *LimitError
		if !errors.As(err, &limit) || limit.Reason != ReasonLocked {
			t.Fatalf("start after five cancelled logins: %v, want a lockout", err)
		}
	})
	t.Run("typed", func(t *testing.T) {
		f := newFixture(t, Config{PushesPerEmail: 100})
		ctx := context.Background()
		for i := range 6 {
			s, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", Quiet: true})
			if err != nil {
				t.Fatalf("quiet start %d: %v", i+1, err)
			}
			if _, err := f.svc.Cancel(ctx, s.Login.ID, s.Binding); err != nil {
				t.Fatalf("cancel %d: %v", i+1, err)
			}
		}
		if f.events.count(event.UserLocked) != 0 {
			t.Fatal("cancelled code logins, which asked no phone, locked the user")
		}
	})
}

// TestALockoutStopsPushesButNotTheCodeForm: a locked user's push logins
// are refused, and the code form's start (no push) still goes through,
// so the fallbacks work exactly when the pushes did not arrive. A
// reported user's code-form start is refused too.
func TestALockoutStopsPushesButNotTheCodeForm(t *testing.T) {
	f := newFixture(t, Config{PushesPerEmail: 100})
	ctx := context.Background()
	f.denyAlice(t, 5)
	var limit *LimitError
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"}); !errors.As(err, &limit) || limit.Reason != ReasonLocked {
		t.Fatalf("a push start while locked: %v, want the lockout", err)
	}
	quiet, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", ReturnURL: "/", Quiet: true})
	if err != nil || quiet.Pushed {
		t.Fatalf("a code-form start while locked: %+v %v, want a login and no push", quiet, err)
	}

	s := f.start(t, "bob@example.com", "192.0.2.1", "")
	bob := &store.Device{ID: "dev_bob", Email: "bob@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: f.clock.Now()}
	if err := f.store.CreateDevice(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, bob, s.Login.ID, DecisionReport, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "bob@example.com", ClientIP: "192.0.2.1", ReturnURL: "/", Quiet: true}); !errors.As(err, &limit) || limit.Reason != ReasonReported {
		t.Fatalf("a code-form start while reported: %v, want the report pause", err)
	}
}
