package flow

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
)

// TestCodeFormStartsDoNotUseUpThePushBudget: starts of the code form
// have a per-minute budget of their own, so someone typing codes for an
// email cannot keep the user's push logins rate limited.
func TestCodeFormStartsDoNotUseUpThePushBudget(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute, PushesPerEmail: 3, PushesPerIP: 100})
	ctx := context.Background()
	quiet := func() error {
		_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.7", ReturnURL: "/", Quiet: true})
		return err
	}
	for i := range 3 {
		if err := quiet(); err != nil {
			t.Fatalf("code form start %d: %v", i+1, err)
		}
	}
	var le *LimitError
	if err := quiet(); !errors.As(err, &le) {
		t.Fatalf("a fourth code form start in the minute: %v, want a limit", err)
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.8", ReturnURL: "/"}); err != nil {
		t.Fatalf("the user's push login after the code form's starts: %v", err)
	}
}

// TestCodesSentAtOnceOverManyLoginsAreCheckedNoMoreThanTheLockout: codes
// typed at once into several code-form logins of one user are checked no
// more than LockoutAttempts times in all, not that many per login.
func TestCodesSentAtOnceOverManyLoginsAreCheckedNoMoreThanTheLockout(t *testing.T) {
	f, _, _ := newCodesFixture(t)
	const logins, each = 4, 5
	svc := New(Config{PushesPerEmail: 100, PushesPerIP: 100}, newGatedLogins(f.store, logins*each), f.events,
		WithClock(f.clock.Now), WithCodes(f.svc.codes))
	var started []*Started
	for range logins {
		s, err := f.svc.Start(context.Background(), StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.7", ReturnURL: "/", Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, s)
	}
	var wg sync.WaitGroup
	for _, s := range started {
		for range each {
			wg.Go(func() { _, _ = svc.RedeemCode(context.Background(), s.Login.ID, s.Binding, "000000") })
		}
	}
	wg.Wait()
	if got := f.events.count(event.CodeRejected); got != DefaultLockoutAttempts {
		t.Fatalf("%d codes checked over %d logins, want %d (the user's tries)", got, logins, DefaultLockoutAttempts)
	}
	if left, err := f.svc.CodePauseLeft(context.Background(), "alice@example.com"); err != nil || left <= 0 {
		t.Fatalf("code entry after the burst: pause %v %v, want paused", left, err)
	}
}

// TestCodeFormsLeftAloneDoNotLockPushSignIns: code-form logins that run
// out unanswered count toward no lockout, so anyone opening code forms
// for an email and walking away cannot lock its push sign-ins.
func TestCodeFormsLeftAloneDoNotLockPushSignIns(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute, PushesPerEmail: 100, PushesPerIP: 100})
	ctx := context.Background()
	for range DefaultLockoutAttempts + 1 {
		if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.7", ReturnURL: "/", Quiet: true}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(time.Minute + expiryGrace)
	f.svc.sweepExpired(ctx)
	if got := f.events.reasons(); len(got) != DefaultLockoutAttempts+1 {
		t.Fatalf("login_failed %v, want every code-form login expired", got)
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.8", ReturnURL: "/"}); err != nil {
		t.Fatalf("a push sign-in after abandoned code forms: %v", err)
	}
}
