package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/store"
)

// Push fatigue and lockout. Every refused login of a user (denied, wrong
// number, reported, expired, or superseded or cancelled by its browser
// before anyone answered it) adds one to the user's failure count in the
// store, shared by every instance; the user's own successful login
// clears it. At LockoutAttempts in a row (within one
// LockoutDuration window) the user is locked: new push logins are
// refused, so no push goes out, for LockoutDuration, while code-form
// logins go on (they send no push; see pausesOf). A report stops every
// sign-in at once for ReportBlock. An operator's Unblock clears both.
// Wrong typed codes pause only code entry (codepause.go).

// Defaults of the lockout.
const (
	DefaultLockoutAttempts = 5
	DefaultLockoutDuration = 15 * time.Minute
	DefaultCodeAttempts    = 5
	// RepeatWindow is how soon after one login of a user another one
	// sends no second push (Duo's frequent-attempts rule).
	RepeatWindow = 15 * time.Second
)

// Reasons of the lockout and of codes.
const (
	ReasonLocked       = "locked"
	ReasonPending      = "pending"
	ReasonTooManyCodes = "too_many_codes"
)

// The user's counters and markers are user keys, kept beside the user's
// logins, so a login's start and collection read and change them in the
// same step as the login (store.LoginSteps).
func failKey(email string) string { return store.UserKey(email, failName) }

// failName names the failure count among the user's counters.
const failName = "fail"

func lockKey(email string) string   { return store.UserKey(email, "lock") }
func recentKey(email string) string { return store.UserKey(email, "recent") }
func rateKey(email string) string   { return store.UserKey(email, "rl") }

// codeRateKey counts the code form's starts, per minute like rateKey.
func codeRateKey(email string) string { return store.UserKey(email, "rl_code") }

// countRefusal adds one to email's failure count and locks the user when
// it reaches the limit.
func (s *Service) countRefusal(ctx context.Context, email, reason string) {
	s.pauseAfter(ctx, email, failKey(email), lockKey(email), reason, "sign_in")
}

// countUnanswered counts a login nobody answered (expired, or ended by
// its own browser: superseded by a new start, or cancelled) as a
// refusal: the phone was asked all the same, and a browser that restarts
// or cancels every few seconds must not be able to ask it for ever
// without the lockout stopping it. A typed-code login asked no phone and
// counts nothing.
func (s *Service) countUnanswered(ctx context.Context, l *store.Login, reason string) {
	if !l.Typed {
		s.countRefusal(ctx, l.Email, reason)
	}
}

// pauseAfter adds one to email's count at counter and, once it reaches
// LockoutAttempts, sets the pause at pause for LockoutDuration, clears
// the count and emits user_locked with scope. Only the instance that sets
// the pause reports it.
func (s *Service) pauseAfter(ctx context.Context, email, counter, pause, reason, scope string) {
	n, _, err := s.store.Hit(ctx, counter, s.cfg.LockoutDuration)
	if err != nil {
		s.log.Warn("counting toward a pause failed", zap.String("scope", scope), zap.Error(err))
		return
	}
	if !s.pauseAt(ctx, email, pause, reason, scope, n) {
		return
	}
	if err := s.store.ResetHits(ctx, counter); err != nil {
		s.log.Warn("resetting a count after its pause failed", zap.String("scope", scope), zap.Error(err))
	}
}

// pauseAt sets the pause at pause for LockoutDuration once n, a count,
// has reached LockoutAttempts, and emits user_locked with scope. It
// reports whether this call set it: a twin on another instance may have.
func (s *Service) pauseAt(ctx context.Context, email, pause, reason, scope string, n int64) bool {
	if n < int64(s.cfg.LockoutAttempts) {
		return false
	}
	err := s.store.Mark(ctx, pause, s.cfg.LockoutDuration)
	if errors.Is(err, store.ErrConflict) {
		return false // paused already, by this count's twin on another instance
	}
	if err != nil {
		s.log.Warn("setting a pause failed", zap.String("scope", scope), zap.Error(err))
		return false
	}
	s.events.Emit(ctx, event.New(event.UserLocked, map[string]any{
		"email": email, "attempts": n, "last_reason": reason, "scope": scope,
		"until": s.now().Add(s.cfg.LockoutDuration).UTC().Format(time.RFC3339),
	}))
	return true
}

// markLeft returns how long the mark at key has left, 0 when there is
// none.
func (s *Service) markLeft(ctx context.Context, key string) (time.Duration, error) {
	d, err := s.store.MarkTTL(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return d, err
}

// Pause says why and until when sign-ins of a user are paused.
type Pause struct {
	Reason string // ReasonReported or ReasonLocked
	Until  time.Time
}

// Paused returns the pause in force for email, or nil. A report wins
// over a lockout, as the stronger message.
func (s *Service) Paused(ctx context.Context, email string) (*Pause, error) {
	for _, p := range []struct{ key, reason string }{{blockKey(email), ReasonReported}, {lockKey(email), ReasonLocked}} {
		left, err := s.store.MarkTTL(ctx, p.key)
		if err == nil {
			return &Pause{Reason: p.reason, Until: s.now().Add(left)}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("checking whether sign-ins are paused: %w", err)
		}
	}
	return nil, nil
}

// PauseLeft returns how long email's sign-ins stay paused by a "deny and
// report" (reported) and by a lockout after refused logins (locked);
// zero for a pause not in force.
func (s *Service) PauseLeft(ctx context.Context, email string) (reported, locked time.Duration, err error) {
	if reported, err = s.markLeft(ctx, blockKey(email)); err != nil {
		return 0, 0, fmt.Errorf("reading the sign-in pause of %s: %w", email, err)
	}
	if locked, err = s.markLeft(ctx, lockKey(email)); err != nil {
		return 0, 0, fmt.Errorf("reading the sign-in pause of %s: %w", email, err)
	}
	return reported, locked, nil
}

// Unblocked says what Unblock cleared.
type Unblocked struct {
	Email    string `json:"email"`
	Reported bool   `json:"reported"`
	Locked   bool   `json:"locked"`
	// CodesPaused says code entry was paused after wrong codes.
	CodesPaused bool `json:"codes_paused"`
}

// Unblock lets email sign in again at once: it clears a report block, a
// lockout, a pause of code entry, the failure and wrong-code counts, the
// offline-code budget and the repeat window, on every instance,
// and emits user_unblocked (by says who asked). email must be canonical.
func (s *Service) Unblock(ctx context.Context, email, by string) (*Unblocked, error) {
	p, err := s.Paused(ctx, email)
	if err != nil {
		return nil, err
	}
	res := &Unblocked{Email: email}
	if p != nil {
		_, lerr := s.store.MarkTTL(ctx, lockKey(email))
		res.Locked = lerr == nil
		res.Reported = p.Reason == ReasonReported
	}
	codes, err := s.markLeft(ctx, codePauseKey(email))
	if err != nil {
		return nil, fmt.Errorf("unblocking %s: %w", email, err)
	}
	res.CodesPaused = codes > 0
	for _, k := range []string{blockKey(email), lockKey(email), codePauseKey(email), recentKey(email)} {
		if err := s.store.Unmark(ctx, k); err != nil {
			return nil, fmt.Errorf("unblocking %s: %w", email, err)
		}
	}
	for _, k := range []string{failKey(email), codeFailKey(email), offlineTriesKey(email)} {
		if err := s.store.ResetHits(ctx, k); err != nil {
			return nil, fmt.Errorf("unblocking %s: %w", email, err)
		}
	}
	s.events.Emit(ctx, event.New(event.UserUnblocked, map[string]any{
		"email": email, "by": by, "was_reported": res.Reported, "was_locked": res.Locked, "was_codes_paused": res.CodesPaused,
	}))
	return res, nil
}
