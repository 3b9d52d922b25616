package flow

import (
	"context"
	"fmt"
	"time"

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
	left, err := s.markLeft(ctx, codePauseKey(email))
	if err != nil {
		return fmt.Errorf("checking whether code entry is paused: %w", err)
	}
	if left == 0 {
		return nil
	}
	return &LimitError{Reason: ReasonCodesPaused, RetryAfter: max(left, time.Second)}
}

// countWrongCode adds one to email's count of wrong codes and pauses its
// code entry when the count reaches the limit.
func (s *Service) countWrongCode(ctx context.Context, email string) {
	s.pauseAfter(ctx, email, codeFailKey(email), codePauseKey(email), "wrong_code", "codes")
}

// CodePauseLeft returns how long email's code entry stays paused after
// wrong codes (0 when it is not).
func (s *Service) CodePauseLeft(ctx context.Context, email string) (time.Duration, error) {
	left, err := s.markLeft(ctx, codePauseKey(email))
	if err != nil {
		return 0, fmt.Errorf("reading the code pause of %s: %w", email, err)
	}
	return left, nil
}
