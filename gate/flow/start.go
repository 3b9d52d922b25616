package flow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/text"
)

// StartRequest is a browser's request to log in.
type StartRequest struct {
	Email string // as typed; canonicalised here
	AppID string
	// SiteTitle names the site on the phone's request card.
	SiteTitle string
	ClientIP  string // from the server's trusted view of the peer
	UserAgent string
	// ReturnURL is where to send the browser after login; the caller has
	// already checked that it is on this site.
	ReturnURL string
	// API marks a login started by an API client (the standalone gate):
	// it is collected with its session handle, not a binding cookie.
	API bool
	// PreviousBinding is the binding secret the browser already holds, if
	// any: a new start from the same browser replaces its own pending login
	// instead of being refused.
	PreviousBinding string
	// Quiet starts a login that sends no push: the user is about to type
	// a code instead.
	Quiet bool
	// Site is the host the user signs in to, named in the phone's
	// notification.
	Site string
}

// Started is a login just created.
type Started struct {
	Login *store.Login
	// Binding is the secret only the starting browser holds (in a
	// cookie); it is needed to collect the session.
	Binding string
	// Pushed says whether the login may send a push: not for a quiet
	// start, nor within RepeatWindow of the user's previous login.
	Pushed bool
}

// Start creates a pending login for an email. Known and unknown emails go
// through the same steps and get the same answer, so the response tells
// nothing about who is enrolled. With a user directory, the email is
// looked up after the rate limits: one the directory lacks gets a login
// that no device is shown (Withheld), which the browser cannot tell from a
// login for an email without a device; the directory's groups go on the
// login and into its session's token. It returns ErrInvalidEmail, a
// *LimitError past a rate limit, a block or another browser's pending
// login, a *RefusedError from the pre-login hook, or
// ErrDirectoryUnavailable when the directory gives no answer.
func (s *Service) Start(ctx context.Context, req StartRequest) (*Started, error) {
	email := policy.CanonicalEmail(req.Email)
	if !policy.ValidEmail(email) {
		return nil, ErrInvalidEmail
	}
	now := s.now()
	code, choices := numberChoices()
	binding := randomString(32)
	l := &store.Login{
		ID: NewID(), Email: email, AppID: text.Clean(req.AppID, 64), SiteTitle: text.Clean(req.SiteTitle, 80), Code: code, Choices: choices,
		BindingHash: hashBinding(binding), ReturnURL: req.ReturnURL,
		ClientIP: text.Clean(req.ClientIP, 64), UserAgent: text.Clean(req.UserAgent, 256),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.LoginTimeout), Status: store.LoginPending,
		API: req.API,
	}
	if err := s.checkLimits(ctx, l); err != nil {
		return nil, err
	}
	if err := s.lookUp(ctx, l); err != nil {
		return nil, err
	}
	if s.preLogin != nil {
		if ok, reason := s.preLogin(ctx, l); !ok {
			s.emitFailed(ctx, l, ReasonRefused)
			return nil, &RefusedError{Reason: text.Clean(reason, 200)}
		}
	}
	if err := s.claim(ctx, l, req.PreviousBinding); err != nil {
		return nil, err
	}
	if err := s.store.CreateLogin(ctx, l, s.cfg.LoginTimeout+s.cfg.Retention); err != nil {
		s.release(ctx, l)
		return nil, fmt.Errorf("creating login: %w", err)
	}
	pushed := !req.Quiet && s.firstPush(ctx, email)
	s.events.Emit(ctx, event.New(event.LoginRequested, map[string]any{
		"session_id": l.ID, "app_id": l.AppID, "email": l.Email,
		"ip": l.ClientIP, "user_agent": l.UserAgent, "push": pushed,
	}))
	// A withheld login (the directory lacks the email) wakes no phone,
	// as no device is shown it.
	if pushed && !l.Withheld && s.notifier != nil {
		s.notifier.LoginStarted(l, text.Clean(req.Site, 128))
	}
	return &Started{Login: l, Binding: binding, Pushed: pushed}, nil
}

// checkLimits applies the per-IP and per-email windows and the report
// block, emitting login_failed for a refusal.
func (s *Service) checkLimits(ctx context.Context, l *store.Login) error {
	refuse := func(reason string, retry time.Duration) error {
		s.emitFailed(ctx, l, reason)
		return &LimitError{Reason: reason, RetryAfter: max(retry, time.Second)}
	}
	if l.ClientIP != "" {
		n, reset, err := s.store.Hit(ctx, "rl:ip:"+l.ClientIP, time.Minute)
		if err != nil {
			return fmt.Errorf("counting logins per IP: %w", err)
		}
		if n > int64(s.cfg.PushesPerIP) {
			return refuse(ReasonRateLimited, reset)
		}
	}
	blocked, err := s.store.MarkTTL(ctx, blockKey(l.Email))
	if err == nil {
		return refuse(ReasonReported, blocked)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("checking report block: %w", err)
	}
	locked, err := s.store.MarkTTL(ctx, lockKey(l.Email))
	if err == nil {
		return refuse(ReasonLocked, locked)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("checking lockout: %w", err)
	}
	n, reset, err := s.store.Hit(ctx, "rl:email:"+l.Email, time.Minute)
	if err != nil {
		return fmt.Errorf("counting logins per email: %w", err)
	}
	if n > int64(s.cfg.PushesPerEmail) {
		return refuse(ReasonRateLimited, reset)
	}
	return nil
}

// claim makes l the one pending login of its email. Another pending login
// started by the same browser is superseded; one started elsewhere makes
// this start wait.
func (s *Service) claim(ctx context.Context, l *store.Login, previousBinding string) error {
	for attempt := 0; attempt < 3; attempt++ {
		otherID, err := s.store.ClaimPending(ctx, l.Email, l.ID, s.cfg.LoginTimeout)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("claiming pending login: %w", err)
		}
		other, err := s.store.GetLogin(ctx, otherID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			// The claim outlived its login: clear it and try again.
		case err != nil:
			return fmt.Errorf("loading pending login: %w", err)
		case other.Status == store.LoginPending && s.now().After(other.ExpiresAt):
			s.expire(ctx, other)
		case other.Status != store.LoginPending:
			// Decided but not yet released.
		case BindingMatches(previousBinding, other.BindingHash):
			if _, err := s.store.TransitionLogin(ctx, other.ID, store.Transition{
				From: store.LoginPending, To: store.LoginExpired, Reason: ReasonSuperseded, At: s.now(),
			}); err != nil && !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("superseding pending login: %w", err)
			}
		default:
			return &LimitError{Reason: ReasonPending, RetryAfter: max(other.ExpiresAt.Sub(s.now()), time.Second)}
		}
		if err := s.store.ReleasePending(ctx, l.Email, otherID); err != nil {
			return fmt.Errorf("releasing stale pending login: %w", err)
		}
	}
	return &LimitError{Reason: ReasonPending, RetryAfter: time.Second}
}

// lookUp asks the user directory, if there is one, about the login's
// email: it withholds the login of an email the directory lacks and sets
// the groups of one it knows.
func (s *Service) lookUp(ctx context.Context, l *store.Login) error {
	if s.dir == nil {
		return nil
	}
	u, found, err := s.dir.Lookup(ctx, l.Email)
	if err != nil {
		s.log.Warn("directory lookup failed; refusing the login", zap.Error(err))
		return fmt.Errorf("%w: %w", ErrDirectoryUnavailable, err)
	}
	l.Withheld = !found
	l.Groups = u.Groups
	return nil
}
