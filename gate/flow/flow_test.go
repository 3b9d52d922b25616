package flow

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
)

// recorder is an event.Sink that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
}

func (r *recorder) Emit(_ context.Context, e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// reasons returns the reasons of the login_failed events so far.
func (r *recorder) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if e.Type == event.LoginFailed {
			out = append(out, e.Data["reason"].(string))
		}
	}
	return out
}

// last returns the latest event of type typ (the zero Event if none).
func (r *recorder) last(typ string) event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Type == typ {
			return r.events[i]
		}
	}
	return event.Event{}
}

func (r *recorder) count(typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	svc    *Service
	store  store.Store
	events *recorder
	clock  *clock
	dev    *store.Device
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	st := memory.New()
	t.Cleanup(func() { st.Close() })
	rec := &recorder{}
	clk := &clock{now: time.Now()}
	dev := &store.Device{ID: "dev_1", Email: "alice@example.com", Name: "Phone", PublicKey: []byte{1}, CreatedAt: clk.Now()}
	if err := st.CreateDevice(context.Background(), dev); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: New(cfg, st, rec, WithClock(clk.Now)), store: st, events: rec, clock: clk, dev: dev}
}

func (f *fixture) start(t *testing.T, email, ip, binding string) *Started {
	t.Helper()
	s, err := f.svc.Start(context.Background(), StartRequest{Email: email, AppID: "app", ClientIP: ip, UserAgent: "test", ReturnURL: "/", PreviousBinding: binding})
	if err != nil {
		t.Fatalf("Start(%q): %v", email, err)
	}
	return s
}

func TestApprovedLoginIsCollectedOnceByTheStartingBrowser(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	s := f.start(t, " Alice@Example.COM", "192.0.2.1", "")
	if s.Login.Email != "alice@example.com" || s.Login.Code < 10 || s.Login.Code > 99 || len(s.Login.Choices) != 3 {
		t.Fatalf("started login: %+v", s.Login)
	}
	pending, err := f.svc.Pending(ctx, f.dev)
	if err != nil || len(pending) != 1 || pending[0].ID != s.Login.ID {
		t.Fatalf("Pending = %v, %v", pending, err)
	}
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Check(ctx, s.Login.ID, "someone-else")
	if err != nil || res.Session != nil || res.Login.Status != store.LoginApproved {
		t.Fatalf("check with a wrong binding: %+v %v", res, err)
	}
	res, err = f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Session == nil || res.Session.Email != "alice@example.com" || res.Session.DeviceID != "dev_1" {
		t.Fatalf("check with the binding: %+v %v", res, err)
	}
	again, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || again.Session != nil || again.Login.Status != store.LoginCollected {
		t.Fatalf("second collect: %+v %v", again, err)
	}
	if f.events.count(event.Login) != 1 || f.events.count(event.LoginRequested) != 1 {
		t.Fatalf("events: %+v", f.events.events)
	}
	if p, _ := f.svc.Pending(ctx, f.dev); len(p) != 0 {
		t.Fatalf("decided login still pending: %v", p)
	}
}

func TestDecisionsAndTheirReasons(t *testing.T) {
	tests := []struct {
		name     string
		decision string
		number   func(l *store.Login) int
		reason   string
	}{
		{"deny", DecisionDeny, func(*store.Login) int { return 0 }, ReasonDenied},
		{"report", DecisionReport, func(*store.Login) int { return 0 }, ReasonReported},
		{"wrong number", DecisionApprove, func(l *store.Login) int {
			for _, c := range l.Choices {
				if c != l.Code {
					return c
				}
			}
			return 0
		}, ReasonWrongNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			ctx := context.Background()
			s := f.start(t, "alice@example.com", "192.0.2.1", "")
			l, err := f.svc.Decide(ctx, f.dev, s.Login.ID, tt.decision, tt.number(s.Login))
			if err != nil || l.Status != store.LoginDenied || l.Reason != tt.reason {
				t.Fatalf("Decide: %+v %v", l, err)
			}
			if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); !errors.Is(err, ErrAlreadyDecided) {
				t.Fatalf("second decision: %v, want ErrAlreadyDecided", err)
			}
			if got := f.events.reasons(); len(got) != 1 || got[0] != tt.reason {
				t.Fatalf("login_failed reasons %v, want [%s]", got, tt.reason)
			}
		})
	}
}

func TestReportBlocksNewLogins(t *testing.T) {
	f := newFixture(t, Config{ReportBlock: time.Hour})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionReport, 0); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.9"})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != ReasonReported || limit.RetryAfter < 59*time.Minute {
		t.Fatalf("start after report: %v", err)
	}
}

func TestADeviceCannotDecideAnotherUsersLogin(t *testing.T) {
	f := newFixture(t, Config{})
	s := f.start(t, "bob@example.com", "192.0.2.1", "")
	if _, err := f.svc.Decide(context.Background(), f.dev, s.Login.ID, DecisionApprove, s.Login.Code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("alice's device decided bob's login: %v", err)
	}
}

func TestLoginsExpireAfterTheirWindow(t *testing.T) {
	f := newFixture(t, Config{LoginTimeout: time.Minute})
	ctx := context.Background()
	s := f.start(t, "alice@example.com", "192.0.2.1", "")
	f.clock.Add(61 * time.Second)
	if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); !errors.Is(err, ErrExpired) {
		t.Fatalf("late approval: %v, want ErrExpired", err)
	}
	res, err := f.svc.Check(ctx, s.Login.ID, s.Binding)
	if err != nil || res.Login.Status != store.LoginExpired || res.Session != nil {
		t.Fatalf("check after expiry: %+v %v", res, err)
	}
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonExpired {
		t.Fatalf("expiry reported %v, want exactly one expired", got)
	}
	// The email is free for a new login at once.
	f.start(t, "alice@example.com", "192.0.2.1", "")
}

func TestOnePendingLoginPerUser(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	first := f.start(t, "alice@example.com", "192.0.2.1", "")
	_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.2"})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != "pending" {
		t.Fatalf("second browser's start: %v, want a pending LimitError", err)
	}
	second := f.start(t, "alice@example.com", "192.0.2.1", first.Binding)
	old, err := f.store.GetLogin(ctx, first.Login.ID)
	if err != nil || old.Status != store.LoginExpired || old.Reason != ReasonSuperseded {
		t.Fatalf("the same browser's earlier login: %+v %v, want superseded", old, err)
	}
	if got := f.events.reasons(); len(got) != 1 || got[0] != ReasonSuperseded || f.events.last(event.LoginFailed).Data["session_id"] != first.Login.ID {
		t.Fatalf("login_failed %v, want one superseded for the earlier login", got)
	}
	if p, _ := f.svc.Pending(ctx, f.dev); len(p) != 1 || p[0].ID != second.Login.ID {
		t.Fatalf("pending after restart: %v", p)
	}
}

func TestRateLimitsPerEmailAndPerIP(t *testing.T) {
	f := newFixture(t, Config{PushesPerEmail: 2, PushesPerIP: 3})
	ctx := context.Background()
	var binding string
	for i := 0; i < 2; i++ {
		binding = f.start(t, "alice@example.com", "192.0.2.1", binding).Binding
	}
	_, err := f.svc.Start(ctx, StartRequest{Email: "alice@example.com", ClientIP: "192.0.2.1", PreviousBinding: binding})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Reason != ReasonRateLimited || limit.RetryAfter <= 0 {
		t.Fatalf("third start for one email: %v", err)
	}
	// The IP has used 3 of 3; a fourth start from it is refused for any email.
	_, err = f.svc.Start(ctx, StartRequest{Email: "zed@example.com", ClientIP: "192.0.2.1"})
	if !errors.As(err, &limit) || limit.Reason != ReasonRateLimited {
		t.Fatalf("fourth start from one IP: %v", err)
	}
	// The second start superseded the first; then two refusals.
	if got := f.events.reasons(); strings.Join(got, ",") != "superseded,rate_limited,rate_limited" {
		t.Fatalf("login_failed reasons %v, want superseded and two rate_limited", got)
	}
}

func TestUnknownEmailsGetTheSameAnswerShape(t *testing.T) {
	f := newFixture(t, Config{})
	known := f.start(t, "alice@example.com", "192.0.2.1", "")
	unknown := f.start(t, "nobody@example.com", "192.0.2.1", "")
	if unknown.Login.Status != known.Login.Status || unknown.Login.ExpiresAt.Sub(unknown.Login.CreatedAt) != known.Login.ExpiresAt.Sub(known.Login.CreatedAt) ||
		len(unknown.Binding) != len(known.Binding) || len(unknown.Login.ID) != len(known.Login.ID) {
		t.Fatalf("unknown email answered differently: %+v vs %+v", unknown.Login, known.Login)
	}
}

func TestStartRejectsInvalidEmails(t *testing.T) {
	f := newFixture(t, Config{})
	for _, e := range []string{"", "alice", "alice@", "a b@example.com", "alice@example.com\x00"} {
		if _, err := f.svc.Start(context.Background(), StartRequest{Email: e}); !errors.Is(err, ErrInvalidEmail) {
			t.Errorf("Start(%q) = %v, want ErrInvalidEmail", e, err)
		}
	}
}

func TestPreLoginHookRefuses(t *testing.T) {
	f := newFixture(t, Config{})
	f.svc.preLogin = func(context.Context, *store.Login) (bool, string) { return false, "outside office hours" }
	_, err := f.svc.Start(context.Background(), StartRequest{Email: "alice@example.com"})
	var refused *RefusedError
	if !errors.As(err, &refused) || refused.Reason != "outside office hours" {
		t.Fatalf("Start with a refusing hook: %v", err)
	}
	if _, err := f.store.PendingFor(context.Background(), "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused login was left pending: %v", err)
	}
}

func TestLogoutEverywhereRevokesEverySession(t *testing.T) {
	f := newFixture(t, Config{})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		s := f.start(t, "alice@example.com", "192.0.2.1", "")
		if _, err := f.svc.Decide(ctx, f.dev, s.Login.ID, DecisionApprove, s.Login.Code); err != nil {
			t.Fatal(err)
		}
		if res, err := f.svc.Check(ctx, s.Login.ID, s.Binding); err != nil || res.Session == nil {
			t.Fatalf("collect: %v", err)
		}
	}
	gen, err := f.svc.LogoutEverywhere(ctx, "alice@example.com")
	if err != nil || gen != 1 {
		t.Fatalf("LogoutEverywhere = %d, %v", gen, err)
	}
	if left, _ := f.store.ListSessions(ctx, "alice@example.com"); len(left) != 0 {
		t.Fatalf("sessions left: %v", left)
	}
	snap, err := f.store.Revocations(ctx)
	if err != nil || len(snap.Sessions) != 2 || snap.Generations["alice@example.com"] != 1 {
		t.Fatalf("revocations: %+v %v", snap, err)
	}
}

func TestNumberChoicesAreDistinctTwoDigitNumbers(t *testing.T) {
	for i := 0; i < 1000; i++ {
		code, choices := numberChoices()
		seen := map[int]bool{}
		found := false
		for _, c := range choices {
			if c < 10 || c > 99 || seen[c] {
				t.Fatalf("choices %v", choices)
			}
			seen[c] = true
			found = found || c == code
		}
		if !found || len(choices) != 3 {
			t.Fatalf("code %d not among choices %v", code, choices)
		}
	}
}
