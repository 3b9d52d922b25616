package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/otp"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/token"
)

// newCodes sets up the typed codes with keys derived from the signing
// keys (the current one first): TOTP secrets are sealed and codes hashed
// under them, so the store alone gives neither away.
func newCodes(st store.Store, keys []token.Key) (*otp.Codes, error) {
	var masters [][]byte
	for _, k := range keys {
		switch {
		case len(k.Secret) > 0:
			masters = append(masters, k.Secret)
		case len(k.Private) > 0:
			masters = append(masters, k.Private.Seed())
		}
	}
	if len(masters) == 0 {
		return nil, fmt.Errorf("no signing key to derive the code keys from")
	}
	k, err := otp.NewKeys(masters...)
	if err != nil {
		return nil, fmt.Errorf("deriving code keys: %w", err)
	}
	return &otp.Codes{Store: st, Keys: k}, nil
}

// MaxPassTTL bounds how long an access pass may work.
const MaxPassTTL = 7 * 24 * time.Hour

// AccessPass makes a one-time access pass for email (canonicalised) that
// works for ttl (default 1 h, at most MaxPassTTL): typed at the gate in
// place of a push, it signs the user in once and opens the enrolment of a
// new phone. It emits access_pass_issued. The pass is returned once; the
// store keeps only its hash.
func (g *Gateway) AccessPass(ctx context.Context, email string, ttl time.Duration) (string, time.Time, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return "", time.Time{}, fmt.Errorf("access pass for %q: %w", email, flow.ErrInvalidEmail)
	}
	if ttl == 0 {
		ttl = time.Hour
	}
	if ttl < time.Minute || ttl > MaxPassTTL {
		return "", time.Time{}, fmt.Errorf("access pass: ttl %s must be between 1m and %s: %w", ttl, MaxPassTTL, ErrBadValue)
	}
	pass, exp, err := g.codes.IssuePass(ctx, email, ttl)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("access pass for %s: %w", email, err)
	}
	g.events.Emit(ctx, event.New(event.AccessPassIssued, map[string]any{
		"email": email, "expires_at": exp.UTC().Format(time.RFC3339), "by": "admin",
	}))
	return pass, exp, nil
}

// ErrBadValue marks an operator's request with a value out of range.
var ErrBadValue = errors.New("value out of range")

// Unblock clears a report pause and a lockout of email (canonicalised)
// on every instance, as an operator; it emits user_unblocked.
func (g *Gateway) Unblock(ctx context.Context, email string) (*flow.Unblocked, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return nil, fmt.Errorf("unblocking %q: %w", email, flow.ErrInvalidEmail)
	}
	return g.flow.Unblock(ctx, email, "admin")
}

// Paused returns the pause on email's sign-ins (canonicalised), or nil.
func (g *Gateway) Paused(ctx context.Context, email string) (*flow.Pause, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return nil, fmt.Errorf("checking %q: %w", email, flow.ErrInvalidEmail)
	}
	return g.flow.Paused(ctx, email)
}

// CodesPausedFor returns how long email's code entry stays paused after
// wrong typed codes (0 when it is not); push sign-ins go on meanwhile.
func (g *Gateway) CodesPausedFor(ctx context.Context, email string) (time.Duration, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return 0, fmt.Errorf("checking %q: %w", email, flow.ErrInvalidEmail)
	}
	return g.flow.CodePauseLeft(ctx, email)
}
