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

// Wrong typed codes pause code entry, not sign-in. A code can be typed by
// anyone who knows the email, while a push needs the user's phone, so
// wrong codes have their own count per user, beside the lockout's: at
// LockoutAttempts of them within LockoutDuration, typed codes (offline
// codes, recovery codes, access passes) are refused for the user for
// LockoutDuration, from any browser and address, while push logins go on
// as before. The user's own successful login clears the count; an
// operator's Unblock clears the count and the pause.

// ReasonCodesPaused is the LimitError reason of a typed code, or a start
// of the code form, refused while the user's code entry is paused.
const ReasonCodesPaused = "codes_paused"

const codeFailName = "code_fail"

func codeFailKey(email string) string  { return store.UserKey(email, codeFailName) }
func codePauseKey(email string) string { return store.UserKey(email, "code_pause") }

// codesPaused returns a *LimitError while email's code entry is paused,
// else nil.
func (s *Service) codesPaused(ctx context.Context, email string) error {
	left, err := s.store.MarkTTL(ctx, codePauseKey(email))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking whether code entry is paused: %w", err)
	}
	return &LimitError{Reason: ReasonCodesPaused, RetryAfter: max(left, time.Second)}
}

// countWrongCode adds one to email's count of wrong codes and pauses its
// code entry when the count reaches the limit.
func (s *Service) countWrongCode(ctx context.Context, email string) {
	n, _, err := s.store.Hit(ctx, codeFailKey(email), s.cfg.LockoutDuration)
	if err != nil {
		s.log.Warn("counting wrong code failed", zap.Error(err))
		return
	}
	if n < int64(s.cfg.LockoutAttempts) {
		return
	}
	err = s.store.Mark(ctx, codePauseKey(email), s.cfg.LockoutDuration)
	if errors.Is(err, store.ErrConflict) {
		return // paused already, by this code's twin on another instance
	}
	if err != nil {
		s.log.Warn("pausing code entry failed", zap.Error(err))
		return
	}
	if err := s.store.ResetHits(ctx, codeFailKey(email)); err != nil {
		s.log.Warn("resetting wrong-code count failed", zap.Error(err))
	}
	s.events.Emit(ctx, event.New(event.UserLocked, map[string]any{
		"email": email, "attempts": n, "last_reason": "wrong_code", "scope": "codes",
		"until": s.now().Add(s.cfg.LockoutDuration).UTC().Format(time.RFC3339),
	}))
}

// CodePauseLeft returns how long email's code entry stays paused after
// wrong codes (0 when it is not).
func (s *Service) CodePauseLeft(ctx context.Context, email string) (time.Duration, error) {
	left, err := s.store.MarkTTL(ctx, codePauseKey(email))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the code pause of %s: %w", email, err)
	}
	return left, nil
}
