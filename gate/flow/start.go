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
	// a code instead. It does not take the user's one pending login,
	// which the phone reads: no phone needs to see it, and it cannot make
	// a push login of the user wait.
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
// *LimitError past a rate limit, a block or (for a start that is not
// Quiet) another browser's pending login, a *RefusedError from the
// pre-login hook, or
// ErrDirectoryUnavailable when the directory gives no answer.
func (s *Service) Start(ctx context.Context, req StartRequest) (*Started, error) {
	email := policy.CanonicalEmail(req.Email)
	if !policy.ValidEmail(email) {
		return nil, ErrInvalidEmail
	}
	now := s.now().Truncate(time.Millisecond) // what a store keeps; shorter records
	code, choices := numberChoices()
	binding := randomString(32)
	l := &store.Login{
		ID: store.NewLoginID(email, NewID()), Email: email, AppID: text.Clean(req.AppID, 64), SiteTitle: text.Clean(req.SiteTitle, 80), Code: code, Choices: choices,
		BindingHash: hashBinding(binding), ReturnURL: req.ReturnURL,
		ClientIP: text.Clean(req.ClientIP, 64), UserAgent: text.Clean(req.UserAgent, 256),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.LoginTimeout), Status: store.LoginPending,
		API: req.API, Typed: req.Quiet,
	}
	if err := s.checkIP(ctx, l); err != nil {
		return nil, err
	}
	st := store.LoginStart{
		Email:   email,
		Pauses:  pausesOf(email, req.Quiet),
		Counter: rateKey(email), Window: time.Minute, Limit: int64(s.cfg.PushesPerEmail),
		TTL: s.cfg.LoginTimeout + s.cfg.Retention, PendingTTL: s.cfg.LoginTimeout,
		Unclaimed: req.Quiet,
	}
	if req.Quiet {
		// The code form starts no login while code entry is paused, and
		// counts its starts apart: they send no push, and must not use up
		// the budget of the user's push logins.
		st.Counter = codeRateKey(email)
	} else {
		// No second push within RepeatWindow of the user's last login.
		st.Recent, st.RecentTTL = recentKey(email), RepeatWindow
	}
	if s.dir != nil || s.preLogin != nil {
		// The directory and the hook hear only of starts the user's
		// pauses and rate let through: check and count first, then ask.
		if err := s.checkUser(ctx, l, st); err != nil {
			return nil, err
		}
		st.Pauses, st.Counter = nil, ""
		if err := s.lookUp(ctx, l); err != nil {
			return nil, err
		}
		if s.preLogin != nil {
			if ok, reason := s.preLogin(ctx, l); !ok {
				s.emitFailed(ctx, l, ReasonRefused)
				return nil, &RefusedError{Reason: text.Clean(reason, 200)}
			}
		}
	}
	st.Login = l
	res, err := s.create(ctx, st, req.PreviousBinding)
	if err != nil {
		return nil, err
	}
	s.watch.add(l.ID, l.ExpiresAt)
	pushed := res.Recent
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

// checkIP applies the per-IP window (an IPv6 address by its /64),
// emitting login_failed for a refusal.
// It comes before anything of the user is counted, so one address past
// its limit cannot use up another user's logins.
func (s *Service) checkIP(ctx context.Context, l *store.Login) error {
	if l.ClientIP == "" {
		return nil
	}
	n, reset, err := s.store.Hit(ctx, ipLimitKey(l.ClientIP), time.Minute)
	if err != nil {
		return fmt.Errorf("counting logins per IP: %w", err)
	}
	if n > int64(s.cfg.PushesPerIP) {
		s.emitFailed(ctx, l, ReasonRateLimited)
		return &LimitError{Reason: ReasonRateLimited, RetryAfter: max(reset, time.Second)}
	}
	return nil
}

// checkUser checks the user's pauses and counts the start against the
// per-email window (st without its login).
func (s *Service) checkUser(ctx context.Context, l *store.Login, st store.LoginStart) error {
	st.Login = nil
	res, err := s.store.StartLogin(ctx, st)
	if err != nil {
		return fmt.Errorf("checking the user's limits: %w", err)
	}
	return s.refusal(ctx, l, res)
}

// pausesOf names the pauses that refuse a start for email. A report
// pauses every sign-in. The lockout stops push sign-ins only: it is
// there so that no more pushes go out, and a code-form start sends
// none, so a user whose pushes do not arrive (and who pressed "Send the
// request again" until locked) can still sign in with a code. Codes have
// their own pause, after wrong ones.
func pausesOf(email string, quiet bool) []string {
	if quiet {
		return []string{blockKey(email), codePauseKey(email)}
	}
	return []string{blockKey(email), lockKey(email)}
}

// refusal returns the LimitError of a start refused by a pause or the
// per-email window, emitting login_failed, or nil.
func (s *Service) refusal(ctx context.Context, l *store.Login, res *store.LoginStarted) error {
	refuse := func(reason string, retry time.Duration) error {
		s.emitFailed(ctx, l, reason)
		return &LimitError{Reason: reason, RetryAfter: max(retry, time.Second)}
	}
	switch {
	case res.Paused == blockKey(l.Email):
		return refuse(ReasonReported, res.PausedFor)
	case res.Paused == codePauseKey(l.Email):
		return refuse(ReasonCodesPaused, res.PausedFor)
	case res.Paused != "":
		return refuse(ReasonLocked, res.PausedFor)
	case res.Limited:
		return refuse(ReasonRateLimited, res.CountReset)
	}
	return nil
}

// create checks, counts, claims and creates the login of st in one store
// step. Another pending login started by the same browser is superseded;
// one started elsewhere makes this start wait.
func (s *Service) create(ctx context.Context, st store.LoginStart, previousBinding string) (*store.LoginStarted, error) {
	l := st.Login
	for attempt := 0; attempt < 3; attempt++ {
		res, err := s.store.StartLogin(ctx, st)
		if err != nil {
			// The step may have taken effect without being confirmed
			// (its replicas did not answer): the browser never learns
			// of this login, so its claim must not hold up the next.
			if rerr := s.store.ReleasePending(ctx, l.Email, l.ID); rerr != nil {
				s.log.Warn("releasing the claim of a login that could not be created failed", zap.Error(rerr))
			}
			return nil, fmt.Errorf("creating login: %w", err)
		}
		if err := s.refusal(ctx, l, res); err != nil {
			return nil, err
		}
		if res.Created {
			return res, nil
		}
		if res.Holder == "" {
			return nil, fmt.Errorf("creating login: the store neither created it nor named the pending one")
		}
		if err := s.clearHolder(ctx, l, res.Holder, previousBinding); err != nil {
			return nil, err
		}
		// Counted once: a retry only claims and creates. It checks the
		// lockout again, which the refusal just counted (an expired or
		// superseded login) may have set: no push for a locked user.
		st.Pauses, st.Counter = nil, ""
		if !st.Unclaimed {
			st.Pauses = []string{lockKey(l.Email)}
		}
	}
	return nil, &LimitError{Reason: ReasonPending, RetryAfter: time.Second}
}

// clearHolder releases the pending claim otherID holds on l's email when
// that login is gone, decided, past its window or superseded by the same
// browser; a live pending login of another browser makes l wait.
func (s *Service) clearHolder(ctx context.Context, l *store.Login, otherID, previousBinding string) error {
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
		superseded, err := s.store.TransitionLogin(ctx, other.ID, store.Transition{
			From: store.LoginPending, To: store.LoginExpired, Reason: ReasonSuperseded, At: s.now(),
		})
		switch {
		case err == nil:
			s.watch.done(other.ID)
			s.emitFailed(ctx, superseded, ReasonSuperseded)
			s.countUnanswered(ctx, superseded, ReasonSuperseded)
		case !errors.Is(err, store.ErrConflict):
			return fmt.Errorf("superseding pending login: %w", err)
		}
	default:
		return &LimitError{Reason: ReasonPending, RetryAfter: max(other.ExpiresAt.Sub(s.now()), time.Second)}
	}
	if err := s.store.ReleasePending(ctx, l.Email, otherID); err != nil {
		return fmt.Errorf("releasing stale pending login: %w", err)
	}
	return nil
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
