package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/store"
)

// WithCodes lets logins be approved with a typed code (offline code,
// recovery code or access pass) instead of a push.
func WithCodes(c *otp.Codes) Option { return func(s *Service) { s.codes = c } }

// ErrNoCodes: this service takes no typed codes (no WithCodes).
var ErrNoCodes = errors.New("codes are not enabled")

// CodeError is a typed code refused for a login (400 for a malformed
// code, 403 for a wrong or replayed one). Denied says the login was
// denied for too many wrong codes; Left is how many tries remain.
type CodeError struct {
	Err    error // otp.ErrMalformed, otp.ErrWrong, otp.ErrReplayed or ErrOfflineCodesOff
	Left   int
	Denied bool
}

func (e *CodeError) Error() string {
	if e.Denied {
		return "too many wrong codes; this sign-in is denied"
	}
	if e.Left == 1 {
		return fmt.Sprintf("%v (1 try left)", e.Err)
	}
	return fmt.Sprintf("%v (%d tries left)", e.Err, e.Left)
}

func (e *CodeError) Unwrap() error { return e.Err }

// Redeemed is a login approved with a typed code.
type Redeemed struct {
	Login *store.Login
	// Kind is otp.KindTOTP, otp.KindRecovery or otp.KindPass.
	Kind string
	// RecoveryLeft is how many recovery codes remain (KindRecovery).
	RecoveryLeft int
}

func codesKey(loginID string) string { return "codes:" + loginID }

// Offline codes are six digits, so each login's CodeAttempts and the
// lockout, which both restart, still leave a few hundred guesses a day.
// The user's offline codes therefore also have a budget that does not
// restart: OfflineCodeBudget codes typed without a successful sign-in
// between them (NIST SP 800-63B caps consecutive failures at 100), then
// offline codes are refused for the user until a sign-in succeeds (a
// push, a recovery code) or an operator unblocks. Recovery codes and
// access passes, far too long to guess, stay open.
const (
	DefaultOfflineCodeBudget = 100
	offlineCodeWindow        = 365 * 24 * time.Hour
	offlineTriesName         = "totp"
)

func offlineTriesKey(email string) string { return store.UserKey(email, offlineTriesName) }

// ErrOfflineCodesOff: the user's offline codes are refused until a
// sign-in succeeds, after OfflineCodeBudget of them were tried.
var ErrOfflineCodesOff = errors.New("offline codes are off for this account after too many were tried")

// RedeemCode approves a pending login with a typed code, for the browser
// that started it only (binding): ErrNotFound for anyone else, so a
// stranger's attempt changes nothing. A refused code (*CodeError) counts
// toward the login's CodeAttempts, which deny it, and toward the pause of
// the user's code entry, not toward the lockout of sign-ins: while code
// entry is paused, every code is refused unchecked with a *LimitError
// (ReasonCodesPaused). The browser then collects the session with Check
// as after a push. Events: offline_code_used, recovery_code_used or access_pass_used
// on success; code_rejected on a refusal (and login_failed with reason
// too_many_codes when it denies the login).
func (s *Service) RedeemCode(ctx context.Context, loginID, binding, typed string) (*Redeemed, error) {
	if s.codes == nil {
		return nil, ErrNoCodes
	}
	l, err := s.load(ctx, loginID)
	if err != nil {
		return nil, err
	}
	if !BindingMatches(binding, l.BindingHash) {
		return nil, ErrNotFound
	}
	if l.Status != store.LoginPending {
		return nil, ErrAlreadyDecided
	}
	if s.now().After(l.ExpiresAt) {
		s.expire(ctx, l)
		return nil, ErrExpired
	}
	try, err := s.takeCodeTry(ctx, l.Email)
	if err != nil {
		return nil, err
	}
	// The attempt is taken before the code is checked: codes sent at once
	// for one login are checked no more than CodeAttempts times, however
	// many read it while it was pending.
	attempt, _, err := s.store.Hit(ctx, codesKey(l.ID), s.cfg.LoginTimeout+s.cfg.Retention)
	if err != nil {
		return nil, fmt.Errorf("counting codes: %w", err)
	}
	if int(attempt) > s.cfg.CodeAttempts {
		return nil, &CodeError{Err: otp.ErrWrong, Denied: true}
	}
	if kind, _ := otp.Classify(typed); kind == otp.KindTOTP {
		tried, _, err := s.store.Hit(ctx, offlineTriesKey(l.Email), offlineCodeWindow)
		if err != nil {
			return nil, fmt.Errorf("counting offline codes: %w", err)
		}
		if tried > int64(s.cfg.OfflineCodeBudget) {
			return nil, s.refuseCode(ctx, l, ErrOfflineCodesOff, attempt, try)
		}
	}
	res, err := s.codes.Check(ctx, l.Email, typed)
	if err == nil && l.Withheld {
		// The user directory does not know this user: no code lets them
		// in, and the refusal is a wrong code's.
		err = otp.ErrWrong
	}
	if errors.Is(err, otp.ErrMalformed) || errors.Is(err, otp.ErrWrong) || errors.Is(err, otp.ErrReplayed) {
		return nil, s.refuseCode(ctx, l, err, attempt, try)
	}
	if err != nil {
		return nil, fmt.Errorf("checking code: %w", err)
	}
	decided, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginPending, To: store.LoginApproved, DeviceID: res.DeviceID, At: s.now(),
		ReleaseEmail: l.Email,
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, ErrAlreadyDecided
	}
	if err != nil {
		return nil, fmt.Errorf("approving login with a code: %w", err)
	}
	data := map[string]any{"session_id": l.ID, "app_id": l.AppID, "email": l.Email, "ip": l.ClientIP}
	typ := event.OfflineCodeUsed
	switch res.Kind {
	case otp.KindTOTP:
		data["device_id"] = res.DeviceID
	case otp.KindRecovery:
		typ, data["left"] = event.RecoveryCodeUsed, res.Left
	case otp.KindPass:
		typ = event.AccessPassUsed
	}
	s.events.Emit(ctx, event.New(typ, data))
	return &Redeemed{Login: decided, Kind: res.Kind, RecoveryLeft: res.Left}, nil
}

// refuseCode reports a refused code, the login's attempt n and the
// user's try (from takeCodeTry), pauses the user's code entry at the
// last try allowed and denies the login at its last attempt.
func (s *Service) refuseCode(ctx context.Context, l *store.Login, why error, n, try int64) error {
	reason := "wrong"
	switch {
	case errors.Is(why, otp.ErrMalformed):
		reason = "malformed"
	case errors.Is(why, otp.ErrReplayed):
		reason = "replayed"
	case errors.Is(why, ErrOfflineCodesOff):
		reason = "offline_codes_off"
	}
	s.countWrongCode(ctx, l.Email, try)
	s.events.Emit(ctx, event.New(event.CodeRejected, map[string]any{
		"session_id": l.ID, "app_id": l.AppID, "email": l.Email, "ip": l.ClientIP,
		"reason": reason, "attempt": n,
	}))
	left := s.cfg.CodeAttempts - int(n)
	if left > 0 {
		return &CodeError{Err: why, Left: left}
	}
	denied, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginPending, To: store.LoginDenied, Reason: ReasonTooManyCodes, At: s.now(),
		ReleaseEmail: l.Email,
	})
	if err == nil {
		s.emitFailed(ctx, denied, ReasonTooManyCodes)
	}
	return &CodeError{Err: why, Denied: true}
}
