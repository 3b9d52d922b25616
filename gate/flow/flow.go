// Package flow is the login state machine: a browser starts a login, an
// enrolled device decides it, the browser that started it collects a
// session.
//
//	              Start (browser)
//	                    │
//	                    ▼
//	   ┌────────────  pending  ────────────┐
//	   │ Decide: approve,   │ Decide: deny, │ Check or Decide after
//	   │ right number       │ report, wrong │ the approval window
//	   ▼ (device)           ▼ number        ▼
//	approved             denied          expired
//	   │ Check with the binding secret (the starting browser only)
//	   ▼
//	collected ── a Session exists; the gateway mints its cookie
//
// A typed code (RedeemCode: an offline code, a recovery code or an
// access pass) moves pending to approved like a right number; five wrong
// codes move it to denied. Refused logins count toward the user's lockout
// (lockout.go), which refuses new starts for a while.
//
// Every arrow is one conditional write in the store (TransitionLogin), so a
// login leaves each state exactly once however many callers race. The one
// way back: a collection the store could not confirm (its replicas did not
// acknowledge it, or the session could not be made) is undone to approved
// before the error is returned, so no session was handed out and the
// browser's next check collects it. Events:
// Start emits login_requested (or login_failed with reason rate_limited or
// reported when refused); denied and expired emit login_failed with the
// reason; collected emits login. Logout emits logout; an operator's or
// user's revocation of another session emits session_revoked.
package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/directory"
	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

// Decisions a device may send.
const (
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
	DecisionReport  = "report"
)

// Reasons recorded on denied and expired logins and sent in login_failed.
const (
	ReasonDenied      = "denied"
	ReasonWrongNumber = "wrong_number"
	ReasonReported    = "reported"
	ReasonExpired     = "expired"
	ReasonSuperseded  = "superseded"
	// ReasonNotCollected ends a login approved on the phone whose browser
	// never came back for the session (see Service.collectBy).
	ReasonNotCollected = "not_collected"
	// ReasonDeviceRemoved ends an approved login whose approving phone
	// was removed before its browser collected the session.
	ReasonDeviceRemoved = "device_removed"
	ReasonRateLimited   = "rate_limited"
	ReasonRefused       = "refused"
)

// Config holds the flow's limits. Zero values take the documented
// defaults.
type Config struct {
	// LoginTimeout is the approval window of a login (default 120 s).
	LoginTimeout time.Duration
	// SessionLifetime is how long a collected session lasts (default 12 h).
	SessionLifetime time.Duration
	// PushesPerEmail caps logins started per email per minute (default 5).
	PushesPerEmail int
	// PushesPerIP caps logins started per client IP per minute (default 20).
	PushesPerIP int
	// ReportBlock is how long "deny and report" blocks logins for the
	// email (default 1 h).
	ReportBlock time.Duration
	// Retention keeps a decided login readable after its window, so a late
	// check learns how it ended (default 5 min).
	Retention time.Duration
	// LockoutAttempts refused logins in a row lock a user (default 5).
	LockoutAttempts int
	// LockoutDuration is how long a lockout lasts, and the window in
	// which refusals count (default 15 min).
	LockoutDuration time.Duration
	// CodeAttempts wrong typed codes deny a login (default 5).
	CodeAttempts int
	// OfflineCodeBudget offline codes typed without a successful sign-in
	// between turn the user's offline codes off until one (default 100).
	OfflineCodeBudget int
}

func (c *Config) defaults() {
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = 120 * time.Second
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 12 * time.Hour
	}
	if c.PushesPerEmail <= 0 {
		c.PushesPerEmail = 5
	}
	if c.PushesPerIP <= 0 {
		c.PushesPerIP = 20
	}
	if c.ReportBlock <= 0 {
		c.ReportBlock = time.Hour
	}
	if c.Retention <= 0 {
		c.Retention = 5 * time.Minute
	}
	if c.LockoutAttempts <= 0 {
		c.LockoutAttempts = DefaultLockoutAttempts
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = DefaultLockoutDuration
	}
	if c.CodeAttempts <= 0 {
		c.CodeAttempts = DefaultCodeAttempts
	}
	if c.OfflineCodeBudget <= 0 {
		c.OfflineCodeBudget = DefaultOfflineCodeBudget
	}
}

// PreLoginFunc asks an outside party whether a login may go ahead, before
// any push goes out. A false answer refuses the login with reason.
type PreLoginFunc func(ctx context.Context, l *store.Login) (allowed bool, reason string)

// Service runs logins. It is safe for concurrent use; all its state is in
// the store but for the logins it started and watches for their expiry
// (WatchExpiries).
type Service struct {
	cfg      Config
	store    store.Store
	events   event.Sink
	log      *zap.Logger
	preLogin PreLoginFunc
	dir      directory.Directory
	codes    *otp.Codes
	notifier StartNotifier
	now      func() time.Time
	watch    *ExpiryWatch
}

// Option changes an optional part of a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithPreLogin installs a blocking pre-login hook.
func WithPreLogin(f PreLoginFunc) Option { return func(s *Service) { s.preLogin = f } }

// WithDirectory looks every login's email up in a user directory at
// start: an email it lacks gets a login no device sees, and the groups it
// gives go on the login (see Start).
func WithDirectory(d directory.Directory) Option { return func(s *Service) { s.dir = d } }

// WithLogger sets the logger (default: none).
func WithLogger(l *zap.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service over st that reports to events.
func New(cfg Config, st store.Store, events event.Sink, opts ...Option) *Service {
	cfg.defaults()
	s := &Service{cfg: cfg, store: st, events: events, log: zap.NewNop(), now: time.Now, watch: NewExpiryWatch()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Config returns the effective configuration, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Decide records a device's decision on a login of its own user. A right
// number approves; a wrong number, deny or report denies (report also
// blocks new logins for the email for ReportBlock). It returns the login
// as decided, ErrNotFound for a login of another user, ErrAlreadyDecided
// if it left pending already, or ErrExpired after its window.
func (s *Service) Decide(ctx context.Context, dev *store.Device, loginID, decision string, number int) (*store.Login, error) {
	d, ok := s.decision(dev.Email, dev.ID, decision, number)
	if !ok {
		return s.badDecision(ctx, dev, loginID)
	}
	// One step reads the login, checks that it is the device's user's
	// and still pending and in its window, decides it and releases the
	// user's pending claim.
	decided, outcome, err := s.store.DecideLogin(ctx, loginID, d)
	return s.decided(ctx, decided, outcome, err)
}

// UsedDecision is what DecideWithUse did.
type UsedDecision struct {
	// Device is the device as the use found it, or UseErr the use's
	// error (store.ErrConflict for a replay, store.ErrNotFound for a
	// device that is gone), for the caller to accept or refuse the
	// request (device.Prepared.Finish).
	Device *store.Device
	UseErr error
	// Login and Err are Decide's answer; they matter only once the use
	// is accepted.
	Login *store.Login
	Err   error
}

// DecideWithUse is Decide for a signed request whose replay marker is
// not taken yet: the store takes use, the request's use of the device of
// email, and decides in one step, so a replayed request changes nothing.
func (s *Service) DecideWithUse(ctx context.Context, email string, use store.DeviceUse, loginID, decision string, number int) UsedDecision {
	d, ok := s.decision(email, use.ID, decision, number)
	if !ok {
		dev, err := s.store.UseDevice(ctx, use.ID, use.Mark, use.TTL, use.LastUsed)
		if err != nil {
			return UsedDecision{UseErr: err}
		}
		l, err := s.badDecision(ctx, dev, loginID)
		return UsedDecision{Device: dev, Login: l, Err: err}
	}
	got, err := s.store.UseDeviceAndDecide(ctx, use, loginID, d)
	if err != nil {
		return UsedDecision{UseErr: err}
	}
	l, err := s.decided(ctx, got.Login, got.Outcome, got.LoginErr)
	return UsedDecision{Device: got.Device, Login: l, Err: err}
}

// decision is the store's Decision by the device id of email; ok is
// false for a decision Decide does not know.
func (s *Service) decision(email, deviceID, decision string, number int) (store.Decision, bool) {
	d := store.Decision{Email: email, DeviceID: deviceID, At: s.now(), ExpiredReason: ReasonExpired, To: store.LoginDenied}
	switch decision {
	case DecisionApprove:
		d.To, d.CheckNumber, d.Number, d.WrongTo, d.WrongReason = store.LoginApproved, true, number, store.LoginDenied, ReasonWrongNumber
	case DecisionDeny:
		d.Reason = ReasonDenied
	case DecisionReport:
		d.Reason = ReasonReported
	default:
		return d, false
	}
	return d, true
}

// decided answers what the store's decision did, blocking a reported
// email and emitting login_failed for a refusal.
func (s *Service) decided(ctx context.Context, decided *store.Login, outcome store.DecideOutcome, err error) (*store.Login, error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("recording decision on login: %w", err)
	case outcome == store.AlreadyDecided:
		return decided, ErrAlreadyDecided
	case outcome == store.Expired:
		s.reportExpired(ctx, decided)
		return decided, ErrExpired
	}
	if decided.Status != store.LoginApproved {
		// An approved login stays watched until its browser collects it.
		s.watch.done(decided.ID)
	}
	if decided.Reason == ReasonReported {
		if err := s.store.Mark(ctx, blockKey(decided.Email), s.cfg.ReportBlock); err != nil && !errors.Is(err, store.ErrConflict) {
			s.log.Warn("blocking reported email failed", zap.Error(err))
		}
	}
	if decided.Status == store.LoginDenied {
		s.emitFailed(ctx, decided, decided.Reason)
		s.countRefusal(ctx, decided.Email, decided.Reason)
	}
	return decided, nil
}

// badDecision answers a decision Decide does not know: as for any
// decision, a login of another user is not found and one no longer
// pending is decided already; else ErrBadDecision.
func (s *Service) badDecision(ctx context.Context, dev *store.Device, loginID string) (*store.Login, error) {
	l, err := s.load(ctx, loginID)
	if err != nil {
		return nil, err
	}
	if l.Email != dev.Email || l.Withheld {
		return nil, ErrNotFound
	}
	if l.Status != store.LoginPending {
		return l, ErrAlreadyDecided
	}
	if s.now().After(l.ExpiresAt) {
		s.expire(ctx, l)
		return l, ErrExpired
	}
	return nil, ErrBadDecision
}

// CheckResult is what the browser learns of its login.
type CheckResult struct {
	Login *store.Login
	// Session is set only for the call that collected the login: the
	// browser holding the binding secret, once, after approval.
	Session *store.Session
	// Generation is the session's user's generation, read with the
	// session's creation, for its token.
	Generation int64
}

// Check returns the state of a login, expiring it once its window has
// passed. When the login is approved and binding is the secret of the
// browser that started it, Check collects it: exactly one call creates the
// Session, whatever the number of concurrent checks. Logins started by
// API clients are collected only by CheckHandle.
func (s *Service) Check(ctx context.Context, loginID, binding string) (*CheckResult, error) {
	return s.check(ctx, loginID, binding, false)
}

// check loads, expires or collects a login; only a login whose API mark
// is api may be collected.
func (s *Service) check(ctx context.Context, loginID, binding string, api bool) (*CheckResult, error) {
	if binding == "" {
		l, err := s.load(ctx, loginID)
		if err != nil {
			return nil, err
		}
		if l.Status == store.LoginPending && s.now().After(l.ExpiresAt) {
			return &CheckResult{Login: s.expire(ctx, l)}, nil
		}
		return &CheckResult{Login: l}, nil
	}
	// One step reads the login and, when it is approved and the binding
	// is its own, collects it and clears the user's failure count,
	// wrong-code count and offline-code budget (the user's own login
	// succeeded): the store compares the binding's hash,
	// never the secret, with the login's.
	sid := NewID()
	l, collected, err := s.store.CollectLogin(ctx, loginID, store.Collection{
		BindingHash: hashBinding(binding), API: api, SessionID: sid, ResetCounters: []string{failName, offlineTriesName, codeFailName},
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil && l == nil {
		return nil, fmt.Errorf("collecting approved login: %w", err)
	}
	if err != nil {
		s.uncollect(ctx, l)
		return nil, fmt.Errorf("collecting approved login: %w", err)
	}
	if !collected {
		if l.Status == store.LoginPending && s.now().After(l.ExpiresAt) {
			return &CheckResult{Login: s.expire(ctx, l)}, nil
		}
		if l.Status != store.LoginPending && l.Status != store.LoginApproved {
			s.watch.done(l.ID)
		}
		return &CheckResult{Login: l}, nil
	}
	s.watch.done(l.ID)
	now := s.now().Truncate(time.Millisecond) // what a store keeps; shorter records
	sess := &store.Session{
		ID: sid, Email: l.Email, DeviceID: l.DeviceID, AppID: l.AppID,
		ClientIP: l.ClientIP, UserAgent: l.UserAgent,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionLifetime),
	}
	// The session, the user's generation for its token and the device's
	// approval go to the store together.
	opened, err := s.store.OpenSession(ctx, store.SessionOpening{Session: sess, DeviceID: l.DeviceID})
	if err != nil {
		// The session was never handed out: make sure it cannot be used,
		// and let the browser collect again.
		if rerr := s.store.RevokeSession(ctx, sid, sess.ExpiresAt); rerr != nil {
			s.log.Warn("revoking a session that could not be created failed", zap.Error(rerr))
		}
		s.uncollect(ctx, l)
		return nil, fmt.Errorf("creating session for collected login: %w", err)
	}
	if approvedByAPhone(l) && errors.Is(opened.NoteErr, store.ErrNotFound) {
		return s.refuseRemovedDevice(ctx, l, sess)
	}
	deviceName, newDevice := s.deviceFacts(opened)
	s.events.Emit(ctx, event.New(event.Login, map[string]any{
		"session_id": l.ID, "sid": sid, "app_id": l.AppID, "email": l.Email,
		"ip": l.ClientIP, "user_agent": l.UserAgent, "device_id": l.DeviceID,
		"device_name": deviceName, "new_device": newDevice,
		"decided_in_ms": l.DecidedAt.Sub(l.CreatedAt).Milliseconds(),
	}))
	return &CheckResult{Login: l, Session: sess, Generation: opened.Generation}, nil
}

// approvedByAPhone reports whether an enrolled phone approved l: by a
// push or by an offline code its secret made, not by a recovery code or
// an access pass, which name no device.
func approvedByAPhone(l *store.Login) bool {
	return l.DeviceID != "" && l.DeviceID != otp.ByRecoveryCode && l.DeviceID != otp.ByAccessPass
}

// refuseRemovedDevice ends a login whose approving phone was removed
// between its approval and its collection: removing a phone (as when
// offboarding a user) must not leave an approval it made to be turned
// into a session later. The session just opened is revoked, never handed
// out, and the login ends with one login_failed (reason device_removed).
func (s *Service) refuseRemovedDevice(ctx context.Context, l *store.Login, sess *store.Session) (*CheckResult, error) {
	if err := s.store.RevokeSession(ctx, sess.ID, sess.ExpiresAt); err != nil {
		s.log.Warn("revoking the session of a login whose phone was removed failed", zap.Error(err))
	}
	ended, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginCollected, To: store.LoginExpired, Reason: ReasonDeviceRemoved, At: s.now(),
	})
	if err != nil {
		if ended != nil {
			return &CheckResult{Login: ended}, nil
		}
		return nil, fmt.Errorf("ending a login whose phone was removed: %w", err)
	}
	s.emitFailed(ctx, ended, ReasonDeviceRemoved)
	return &CheckResult{Login: ended}, nil
}

// deviceFacts returns the approving device's name, and whether this is
// the first login it approved, as OpenSession noted it. A store failure
// gives an empty name and false: the login goes ahead.
func (s *Service) deviceFacts(o *store.SessionOpened) (string, bool) {
	if o.Device == nil {
		if o.NoteErr != nil && !errors.Is(o.NoteErr, store.ErrNotFound) {
			s.log.Warn("recording a device's approval failed", zap.Error(o.NoteErr))
		}
		return "", false
	}
	return o.Device.Name, o.FirstApproval
}

// uncollect moves a login whose collection failed (the store took the
// change but could not confirm it, or the session could not be made)
// back to approved, so the browser's next check collects it: the login
// completes once, by the check that hands out a session. The login is
// watched again, so that it still ends with login_failed (not_collected)
// if that browser never comes back. If this fails too the login stays
// collected without a session and the user starts again: failing closed.
func (s *Service) uncollect(ctx context.Context, l *store.Login) {
	_, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{From: store.LoginCollected, To: store.LoginApproved})
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			s.log.Warn("undoing a failed collection failed; the login must be started again", zap.Error(err))
		}
		return
	}
	s.watch.add(l.ID, s.collectBy(l))
}

// Pending returns the logins waiting for a decision by the device's user.
func (s *Service) Pending(ctx context.Context, dev *store.Device) ([]*store.Login, error) {
	l, err := s.store.PendingLogin(ctx, dev.Email)
	return s.PendingRead(ctx, dev, l, err)
}

// PendingRead is Pending for a pending login the caller read already
// (store.PendingLogin's answer l, err for the device's user, as a signed
// request reads it with its replay marker).
func (s *Service) PendingRead(ctx context.Context, dev *store.Device, l *store.Login, err error) ([]*store.Login, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading pending login: %w", err)
	}
	if l.Status != store.LoginPending || l.Email != dev.Email || l.Withheld {
		return nil, nil
	}
	if s.now().After(l.ExpiresAt) {
		s.expire(ctx, l)
		return nil, nil
	}
	return []*store.Login{l}, nil
}

func (s *Service) load(ctx context.Context, id string) (*store.Login, error) {
	l, err := s.store.GetLogin(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("loading login: %w", err)
	}
	return l, nil
}

// expire moves a pending login past its window to expired; whoever wins
// the transition emits login_failed. It returns the login as it now is.
func (s *Service) expire(ctx context.Context, l *store.Login) *store.Login {
	expired, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginPending, To: store.LoginExpired, Reason: ReasonExpired, At: s.now(),
		ReleaseEmail: l.Email,
	})
	if err != nil {
		if expired != nil {
			return expired
		}
		s.log.Warn("expiring login failed", zap.Error(err))
		return l
	}
	s.reportExpired(ctx, expired)
	return expired
}

// reportExpired emits login_failed for a login this instance moved to
// expired and counts it toward the user's lockout: an unanswered push
// does (push fatigue), a code form left alone does not, as anyone may
// open one.
func (s *Service) reportExpired(ctx context.Context, l *store.Login) {
	s.watch.done(l.ID)
	s.emitFailed(ctx, l, ReasonExpired)
	s.countUnanswered(ctx, l, ReasonExpired)
}

func (s *Service) emitFailed(ctx context.Context, l *store.Login, reason string) {
	data := map[string]any{
		"session_id": l.ID, "app_id": l.AppID, "email": l.Email,
		"ip": l.ClientIP, "user_agent": l.UserAgent, "device_id": l.DeviceID, "reason": reason,
	}
	if !l.DecidedAt.IsZero() && l.DeviceID != "" {
		data["decided_in_ms"] = l.DecidedAt.Sub(l.CreatedAt).Milliseconds()
	}
	s.events.Emit(ctx, event.New(event.LoginFailed, data))
}

func blockKey(email string) string { return store.UserKey(email, "block") }
