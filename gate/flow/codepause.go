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
	left, err := s.CodePauseLeft(ctx, email)
	if err != nil {
		return err
	}
	if left == 0 {
		return nil
	}
	return &LimitError{Reason: ReasonCodesPaused, RetryAfter: max(left, time.Second)}
}

// takeCodeTry counts a typed code of email before it is checked, so that
// codes sent at once, over as many logins as the user may have, are
// checked no more than LockoutAttempts times a window: a try past them
// pauses code entry and is refused. The pause leaves the count as it is
// (it ends with its window, no later than the pause), so every try
// counted while the pause is set gets a number past the limit, however
// many are sent at once. It returns the try's number. A correct code's
// try is cleared with the user's other counts when its login is
// collected.
func (s *Service) takeCodeTry(ctx context.Context, email string) (int64, error) {
	if err := s.codesPaused(ctx, email); err != nil {
		return 0, err
	}
	n, _, err := s.store.Hit(ctx, codeFailKey(email), s.cfg.LockoutDuration)
	if err != nil {
		return 0, fmt.Errorf("counting typed codes: %w", err)
	}
	if n > int64(s.cfg.LockoutAttempts) {
		s.pauseAt(ctx, email, codePauseKey(email), "wrong_code", "codes", n)
		return n, &LimitError{Reason: ReasonCodesPaused, RetryAfter: s.cfg.LockoutDuration}
	}
	return n, nil
}

// countWrongCode pauses email's code entry when try, a wrong code's
// number from takeCodeTry, is the last one allowed.
func (s *Service) countWrongCode(ctx context.Context, email string, try int64) {
	s.pauseAt(ctx, email, codePauseKey(email), "wrong_code", "codes", try)
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
