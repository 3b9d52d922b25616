package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// ReasonCancelled is recorded on a login its browser cancelled ("Not
// you?", "Cancel").
const ReasonCancelled = "cancelled"

// ErrNotYours is returned for a cancel or resend by a browser that did not
// start the login.
var ErrNotYours = errors.New("login was started in another browser")

// Cancel ends a pending login at the request of the browser that started
// it (binding is its secret): the phone's request disappears and the
// email's pending slot is freed, so another email (or the same one) may
// start at once. A login that has already left pending is returned as it
// is, without error; ErrNotFound for an unknown login, ErrNotYours for
// another browser's.
func (s *Service) Cancel(ctx context.Context, loginID, binding string) (*store.Login, error) {
	l, err := s.load(ctx, loginID)
	if err != nil {
		return nil, err
	}
	if !BindingMatches(binding, l.BindingHash) {
		return nil, ErrNotYours
	}
	if l.Status != store.LoginPending {
		return l, nil
	}
	cancelled, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginPending, To: store.LoginExpired, Reason: ReasonCancelled, At: s.now(),
		ReleaseEmail: l.Email,
	})
	if errors.Is(err, store.ErrConflict) {
		return cancelled, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cancelling login: %w", err)
	}
	s.emitFailed(ctx, cancelled, ReasonCancelled)
	s.countUnanswered(ctx, cancelled, ReasonCancelled)
	return cancelled, nil
}

// Owned returns a login if binding is the secret of the browser that
// started it: ErrNotFound for an unknown login, ErrNotYours otherwise.
func (s *Service) Owned(ctx context.Context, loginID, binding string) (*store.Login, error) {
	l, err := s.load(ctx, loginID)
	if err != nil {
		return nil, err
	}
	if !BindingMatches(binding, l.BindingHash) {
		return nil, ErrNotYours
	}
	return l, nil
}

// Blocked returns how long new logins for email stay blocked after a
// "deny and report", or 0.
func (s *Service) Blocked(ctx context.Context, email string) (time.Duration, error) {
	d, err := s.store.MarkTTL(ctx, blockKey(email))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("checking report block: %w", err)
	}
	return d, nil
}
