package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

func newCodesFixture(t *testing.T) (*fixture, []byte, []string) {
	t.Helper()
	return newCodesFixtureWith(t, Config{PushesPerEmail: 100})
}

// newCodesFixtureWith is newCodesFixture with the service's config cfg.
func newCodesFixtureWith(t *testing.T, cfg Config) (*fixture, []byte, []string) {
	t.Helper()
	f := newFixture(t, cfg)
	keys, err := otp.NewKeys(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	codes := &otp.Codes{Store: f.store, Keys: keys, Now: f.clock.Now}
	f.svc = New(cfg, f.store, f.events, WithClock(f.clock.Now), WithCodes(codes))
	secret, sealed := codes.NewDeviceSecret("dev_otp")
	ctx := context.Background()
	if err := f.store.CreateDevice(ctx, &store.Device{ID: "dev_otp", Email: "alice@example.com", PublicKey: []byte{1},
		CreatedAt: time.Now(), OTPSecret: sealed, OTPAlgorithm: string(otp.DefaultAlgorithm)}); err != nil {
		t.Fatal(err)
	}
	rc, err := codes.IssueRecoveryCodes(ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return f, secret, rc
}

func TestRedeemCodeApprovesForTheStartingBrowserOnly(t *testing.T) {
	f, secret, _ := newCodesFixture(t)
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "", "")
	code, _ := otp.Code(secret, otp.DefaultAlgorithm, time.Now())
	if _, err := f.svc.RedeemCode(ctx, s.Login.ID, "someone-else", code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another browser: %v, want ErrNotFound", err)
	}
	red, err := f.svc.RedeemCode(ctx, s.Login.ID, s.Binding, code)
	if err != nil || red.Kind != otp.KindTOTP || red.Login.Status != store.LoginApproved || red.Login.DeviceID != "dev_otp" {
		t.Fatalf("RedeemCode: %+v %v", red, err)
	}
	res, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Session == nil || res.Session.DeviceID != "dev_otp" {
		t.Fatalf("collect: %+v %v", res, err)
	}
	if f.events.count(event.OfflineCodeUsed) != 1 {
		t.Fatal("no offline_code_used event")
	}
}

// TestFiveWrongCodesDenyTheLoginAndPauseCodesOnly: five wrong codes deny
// the login and pause the user's code entry, not the user's sign-ins: a
// push login still starts and pushes, while typed codes, even the right
// one, and code-form starts are refused until the pause ends or an
// operator unblocks.
func TestFiveWrongCodesDenyTheLoginAndPauseCodesOnly(t *testing.T) {
	f, secret, rc := newCodesFixture(t)
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "", "")
	for i := 1; i <= 5; i++ {
		_, err := f.svc.RedeemCode(ctx, s.Login.ID, s.Binding, "12345")
		var ce *CodeError
		if !errors.As(err, &ce) || !errors.Is(err, otp.ErrMalformed) || ce.Denied != (i == 5) || (i < 5 && ce.Left != 5-i) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	l, _ := f.store.GetLogin(ctx, s.Login.ID)
	if l.Status != store.LoginDenied || l.Reason != ReasonTooManyCodes {
		t.Fatalf("login after five wrong codes: %s %s", l.Status, l.Reason)
	}
	if f.events.count(event.CodeRejected) != 5 || f.events.count(event.UserLocked) != 1 || f.events.last(event.UserLocked).Data["scope"] != "codes" {
		t.Fatalf("events: %d code_rejected, %d user_locked %v", f.events.count(event.CodeRejected), f.events.count(event.UserLocked), f.events.last(event.UserLocked).Data)
	}
	if p, err := f.svc.Paused(ctx, "alice@example.com"); err != nil || p != nil {
		t.Fatalf("sign-ins paused after five wrong codes: %+v %v", p, err)
	}
	pushed, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("push start after five wrong codes: %v", err)
	}
	right, _ := otp.Code(secret, otp.DefaultAlgorithm, f.clock.Now())
	var limit *LimitError
	for _, typed := range []string{right, rc[0]} {
		if _, err := f.svc.RedeemCode(ctx, pushed.Login.ID, pushed.Binding, typed); !errors.As(err, &limit) || limit.Reason != ReasonCodesPaused || limit.RetryAfter <= 0 {
			t.Fatalf("a code while code entry is paused: %v", err)
		}
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "198.51.100.7", Quiet: true}); !errors.As(err, &limit) || limit.Reason != ReasonCodesPaused {
		t.Fatalf("code-form start while code entry is paused: %v", err)
	}
	// The phone still approves the push login.
	if _, err := f.svc.Decide(ctx, f.dev, pushed.Login.ID, DecisionApprove, pushed.Login.Code); err != nil {
		t.Fatalf("approving the push login: %v", err)
	}
	if res, err := f.svc.Check(ctx, pushed.Login.ID, pushed.Binding); err != nil || res.Session == nil {
		t.Fatalf("collecting the push login: %+v %v", res, err)
	}
	u, err := f.svc.Unblock(ctx, "alice@example.com", "test")
	if err != nil || !u.CodesPaused || u.Locked {
		t.Fatalf("unblock: %+v %v", u, err)
	}
	typed, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", Quiet: true})
	if err != nil {
		t.Fatalf("code-form start after unblock: %v", err)
	}
	if _, err := f.svc.RedeemCode(ctx, typed.Login.ID, typed.Binding, rc[0]); err != nil {
		t.Fatalf("a recovery code after unblock: %v", err)
	}
}

// TestWrongCodesFromManyAddressesPauseCodesPerUser: one wrong code from
// each of five addresses, each in its own code-form login, pauses the
// user's code entry (the code space stays guarded per user), and leaves
// the user's push logins and wrong-number lockout as they were.
func TestWrongCodesFromManyAddressesPauseCodesPerUser(t *testing.T) {
	f, _, _ := newCodesFixture(t)
	ctx := context.Background()
	for i := range 5 {
		typed, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: fmt.Sprintf("198.51.100.%d", i+1), Quiet: true})
		if err != nil {
			t.Fatalf("code-form start %d: %v", i+1, err)
		}
		if _, err := f.svc.RedeemCode(ctx, typed.Login.ID, typed.Binding, "000000"); !errors.Is(err, otp.ErrWrong) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	var limit *LimitError
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "198.51.100.9", Quiet: true}); !errors.As(err, &limit) || limit.Reason != ReasonCodesPaused {
		t.Fatalf("a sixth code-form start: %v, want codes paused", err)
	}
	// Pushes go on, and wrong numbers on the phone still lock sign-ins.
	var binding string
	for i := range 5 {
		s, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", PreviousBinding: binding})
		if err != nil {
			t.Fatalf("push start %d while codes are paused: %v", i+1, err)
		}
		binding = s.Binding
		if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code+1); err != nil {
			t.Fatalf("wrong number %d: %v", i+1, err)
		}
	}
	if _, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"}); !errors.As(err, &limit) || limit.Reason != ReasonLocked {
		t.Fatalf("a start after five wrong numbers: %v, want locked", err)
	}
}

// TestACodeLoginDoesNotHoldTheUsersPendingLogin: a login started for the
// code form (quiet, no push) is not the user's pending login: a stranger
// who starts one with a wrong code does not make the user's own push
// login wait, and the phone shows only the push login.
func TestACodeLoginDoesNotHoldTheUsersPendingLogin(t *testing.T) {
	f, _, _ := newCodesFixture(t)
	ctx := context.Background()
	typed, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "198.51.100.7", Quiet: true})
	if err != nil {
		t.Fatalf("quiet start: %v", err)
	}
	if _, err := f.svc.RedeemCode(ctx, typed.Login.ID, typed.Binding, "000000"); !errors.Is(err, otp.ErrWrong) {
		t.Fatalf("the stranger's wrong code: %v", err)
	}
	pushed, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1"})
	if err != nil || !pushed.Pushed {
		t.Fatalf("the user's push start while a code login waits: %+v %v", pushed, err)
	}
	if p, err := f.svc.Pending(ctx, f.dev); err != nil || len(p) != 1 || p[0].ID != pushed.Login.ID {
		t.Fatalf("the phone's pending logins: %v %v, want only %s", p, err, pushed.Login.ID)
	}
	// A code login started while the push login waits: created, and the
	// push login stays the one the phone sees.
	again, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "198.51.100.7", Quiet: true})
	if err != nil {
		t.Fatalf("quiet start while a push login waits: %v", err)
	}
	if p, err := f.svc.Pending(ctx, f.dev); err != nil || len(p) != 1 || p[0].ID != pushed.Login.ID {
		t.Fatalf("the phone's pending logins after a second code login: %v %v", p, err)
	}
	if l, err := f.store.GetLogin(ctx, again.Login.ID); err != nil || l.Status != store.LoginPending {
		t.Fatalf("the second code login: %+v %v", l, err)
	}
}

func TestARecoveryCodeWorksOnce(t *testing.T) {
	f, _, rc := newCodesFixture(t)
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "", "")
	red, err := f.svc.RedeemCode(ctx, s.Login.ID, s.Binding, rc[3])
	if err != nil || red.Kind != otp.KindRecovery || red.RecoveryLeft != 9 || red.Login.DeviceID != otp.ByRecoveryCode {
		t.Fatalf("recovery code: %+v %v", red, err)
	}
	s2 := f.start(t, "alice@example.com", "", s.Binding)
	if _, err := f.svc.RedeemCode(ctx, s2.Login.ID, s2.Binding, rc[3]); !errors.Is(err, otp.ErrWrong) {
		t.Fatalf("reused recovery code: %v", err)
	}
	if f.events.count(event.RecoveryCodeUsed) != 1 {
		t.Fatal("no recovery_code_used event")
	}
}

func TestACodeErrorCountsTheTriesLeftInWords(t *testing.T) {
	for e, want := range map[*CodeError]string{
		{Err: otp.ErrWrong, Left: 2}:      "that code is not right (2 tries left)",
		{Err: otp.ErrWrong, Left: 1}:      "that code is not right (1 try left)",
		{Err: otp.ErrWrong, Denied: true}: "too many wrong codes; this sign-in is denied",
	} {
		if got := e.Error(); got != want {
			t.Errorf("%+v: %q, want %q", *e, got, want)
		}
	}
}

// gatedLogins holds the answers of the first n GetLogin calls until all
// n are read, so that n concurrent redeems all see the login pending.
type gatedLogins struct {
	store.Store
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func newGatedLogins(st store.Store, n int) *gatedLogins {
	return &gatedLogins{Store: st, waiting: n, open: make(chan struct{})}
}

func (g *gatedLogins) GetLogin(ctx context.Context, id string) (*store.Login, error) {
	l, err := g.Store.GetLogin(ctx, id)
	g.mu.Lock()
	if g.waiting > 0 {
		g.waiting--
		if g.waiting == 0 {
			close(g.open)
		}
	}
	g.mu.Unlock()
	<-g.open
	return l, err
}

// TestConcurrentCodesAreCheckedNoMoreThanTheAttempts: twenty wrong codes
// sent at once for one login, all read while it is pending, test no more
// than the login's five attempts: the rest are refused unchecked (the
// login denied, or code entry paused by the five), so sending in parallel
// buys no extra guesses.
func TestConcurrentCodesAreCheckedNoMoreThanTheAttempts(t *testing.T) {
	f, _, _ := newCodesFixture(t)
	s := f.start(t, "alice@example.com", "", "")
	const n = 20
	svc := New(Config{PushesPerEmail: 100}, newGatedLogins(f.store, n), f.events, WithClock(f.clock.Now), WithCodes(f.svc.codes))
	var wg sync.WaitGroup
	var mu sync.Mutex
	denied := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.RedeemCode(context.Background(), s.Login.ID, s.Binding, "000000")
			var ce *CodeError
			var limit *LimitError
			switch {
			case errors.As(err, &ce) && ce.Denied, errors.As(err, &limit) && limit.Reason == ReasonCodesPaused:
				mu.Lock()
				denied++
				mu.Unlock()
			case errors.As(err, &ce):
			default:
				t.Errorf("a wrong code: %v", err)
			}
		}()
	}
	wg.Wait()
	if got := f.events.count(event.CodeRejected); got != DefaultCodeAttempts || denied != n-DefaultCodeAttempts+1 {
		t.Fatalf("%d codes checked (code_rejected), %d answers of denied or paused; want %d and %d", got, denied, DefaultCodeAttempts, n-DefaultCodeAttempts+1)
	}
	if l, _ := f.store.GetLogin(context.Background(), s.Login.ID); l.Status != store.LoginDenied {
		t.Fatalf("login after the burst: %s", l.Status)
	}
}

// wrongOfflineCode returns a six-digit code that none of the codes
// accepted at now (±1 step) is.
func wrongOfflineCode(t *testing.T, secret []byte, now time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-otp.Period, 0, otp.Period} {
		c, err := otp.Code(secret, otp.DefaultAlgorithm, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		valid[c] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func TestOfflineCodesStopAfterTheirBudgetUntilASignInSucceeds(t *testing.T) {
	f, secret, rc := newCodesFixtureWith(t, Config{PushesPerEmail: 100, LockoutAttempts: 1000, OfflineCodeBudget: 7})
	ctx := context.Background()
	wrong := wrongOfflineCode(t, secret, f.clock.Now())
	right, _ := otp.Code(secret, otp.DefaultAlgorithm, f.clock.Now())

	s1 := f.start(t, "alice@example.com", "", "")
	for range 5 {
		if _, err := f.svc.RedeemCode(ctx, s1.Login.ID, s1.Binding, wrong); !errors.Is(err, otp.ErrWrong) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	s2 := f.start(t, "alice@example.com", "", s1.Binding)
	for range 2 {
		if _, err := f.svc.RedeemCode(ctx, s2.Login.ID, s2.Binding, wrong); !errors.Is(err, otp.ErrWrong) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	// Seven tried: the eighth is refused unchecked, the right one too.
	_, err := f.svc.RedeemCode(ctx, s2.Login.ID, s2.Binding, right)
	var ce *CodeError
	if !errors.As(err, &ce) || !errors.Is(err, ErrOfflineCodesOff) || ce.Left != 2 {
		t.Fatalf("the right code past the budget: %v", err)
	}
	if got := f.events.last(event.CodeRejected).Data["reason"]; got != "offline_codes_off" {
		t.Fatalf("code_rejected reason %v", got)
	}
	// A recovery code still gets the user in, and that sign-in restores
	// the offline codes.
	if _, err := f.svc.RedeemCode(ctx, s2.Login.ID, s2.Binding, rc[0]); err != nil {
		t.Fatalf("a recovery code past the budget: %v", err)
	}
	if res, err := f.svc.Check(ctx, s2.Login.ID, s2.Binding); err != nil || res.Session == nil {
		t.Fatalf("collecting: %+v %v", res, err)
	}
	s3 := f.start(t, "alice@example.com", "", s2.Binding)
	if _, err := f.svc.RedeemCode(ctx, s3.Login.ID, s3.Binding, right); err != nil {
		t.Fatalf("the right code after a sign-in: %v", err)
	}
	if res, err := f.svc.Check(ctx, s3.Login.ID, s3.Binding); err != nil || res.Session == nil {
		t.Fatalf("collecting: %+v %v", res, err)
	}

	// Spent again, an operator's unblock restores them too.
	s4 := f.start(t, "alice@example.com", "", s3.Binding)
	for range 5 {
		if _, err := f.svc.RedeemCode(ctx, s4.Login.ID, s4.Binding, wrong); !errors.Is(err, otp.ErrWrong) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	s5 := f.start(t, "alice@example.com", "", s4.Binding)
	for range 2 {
		if _, err := f.svc.RedeemCode(ctx, s5.Login.ID, s5.Binding, wrong); !errors.Is(err, otp.ErrWrong) {
			t.Fatalf("a wrong code: %v", err)
		}
	}
	if _, err := f.svc.RedeemCode(ctx, s5.Login.ID, s5.Binding, right); !errors.Is(err, ErrOfflineCodesOff) {
		t.Fatalf("past the budget again: %v", err)
	}
	if _, err := f.svc.Unblock(ctx, "alice@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(3 * otp.Period) // the code of s3's step is used
	next, _ := otp.Code(secret, otp.DefaultAlgorithm, f.clock.Now())
	if _, err := f.svc.RedeemCode(ctx, s5.Login.ID, s5.Binding, next); err != nil {
		t.Fatalf("the right code after unblock: %v", err)
	}
}

// pausingTwin is a store in which, just before a code try is counted,
// tries on another instance reach the limit and the last of them pauses
// code entry, as countWrongCode does.
type pausingTwin struct {
	store.Store
	email string
	twin  func(ctx context.Context)
	once  sync.Once
}

func (p *pausingTwin) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	if key == codeFailKey(p.email) {
		p.once.Do(func() { p.twin(ctx) })
	}
	return p.Store.Hit(ctx, key, window)
}

// TestACodeTriedAsTheLimitIsReachedElsewhereIsNotChecked: a try that
// passed the pause check and is counted just after a twin's tries reached
// the limit and paused code entry is refused, not checked: the pause
// leaves the count as it is, so a burst over many code forms gets
// LockoutAttempts checks in all, not twice that.
func TestACodeTriedAsTheLimitIsReachedElsewhereIsNotChecked(t *testing.T) {
	f, _, _ := newCodesFixture(t)
	s := f.start(t, "alice@example.com", "", "")
	twin := &pausingTwin{Store: f.store, email: "alice@example.com"}
	svc := New(Config{PushesPerEmail: 100}, twin, f.events, WithClock(f.clock.Now), WithCodes(f.svc.codes))
	twin.twin = func(ctx context.Context) {
		var n int64
		for range DefaultCodeAttempts {
			n, _, _ = f.store.Hit(ctx, codeFailKey("alice@example.com"), time.Minute)
		}
		svc.countWrongCode(ctx, "alice@example.com", n)
	}
	_, err := svc.RedeemCode(context.Background(), s.Login.ID, s.Binding, "000000")
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != ReasonCodesPaused {
		t.Fatalf("a code counted after the pause was set: %v, want codes_paused", err)
	}
	if got := f.events.count(event.CodeRejected); got != 0 {
		t.Fatalf("%d codes checked, want none", got)
	}
}
