package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// The operator's overview, for the admin API's status and users routes.

// Health is this instance's view of the parts logins depend on.
type Health struct {
	// StoreError is why the store did not answer, or "".
	StoreError string
	// RevocationsFresh is whether the revocation set is recent enough
	// for logged-in users to keep access.
	RevocationsFresh bool
	// RevocationsSynced is when the revocation set was last loaded.
	RevocationsSynced time.Time
}

// healthWait bounds Health's ping when the caller's context allows longer.
const healthWait = 2 * time.Second

// Health pings the store, for at most two seconds or until ctx's
// deadline if that comes first, and reports the revocation set's
// freshness. A store that did not answer in time is said to, with the
// bound it had; one that failed otherwise, with its error.
func (g *Gateway) Health(ctx context.Context) Health {
	wait := healthWait
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = time.Until(dl)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	h := Health{
		RevocationsFresh:  g.revocations.Fresh(time.Now()),
		RevocationsSynced: g.revocations.LastSync(),
	}
	if err := g.store.Ping(ctx); err != nil {
		// The store's own words say why: a refused password, a
		// certificate it does not trust and a refused connection
		// each need their own fix. Its errors hold no secret.
		h.StoreError = "the store does not answer: " + err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			secs := strconv.FormatFloat(wait.Round(100*time.Millisecond).Seconds(), 'f', -1, 64)
			h.StoreError = "the store did not answer within " + secs + " s"
		}
	}
	return h
}

// UserSummary is one user as an operator sees them.
type UserSummary struct {
	Email    string
	Devices  []*store.Device
	Sessions []*store.Session
	// APIKeys are the user's live API keys (records only, never a key).
	APIKeys []*store.APIKey
	// BlockedFor is how long new logins stay blocked after a "deny and
	// report", or 0.
	BlockedFor time.Duration
}

// State says in a word where the user stands: "blocked" (reported),
// "signed in" (a live session), "enrolled" (a phone), or "no phone"
// (only API keys left).
func (u UserSummary) State() string {
	switch {
	case u.BlockedFor > 0:
		return "blocked"
	case len(u.Sessions) > 0:
		return "signed in"
	case len(u.Devices) == 0:
		return "no phone"
	}
	return "enrolled"
}

// Note says why a user without a phone is listed ("no phone, 2 API
// keys, 1 session"): what of theirs still lets them in. It is "" for a
// user with a phone.
func (u UserSummary) Note() string {
	if len(u.Devices) > 0 {
		return ""
	}
	return NoPhoneNote(len(u.APIKeys), len(u.Sessions))
}

// NoPhoneNote words what a user without a phone still has.
func NoPhoneNote(keys, sessions int) string {
	parts := []string{"no phone"}
	if keys > 0 {
		parts = append(parts, plural(keys, "API key", "API keys"))
	}
	if sessions > 0 {
		parts = append(parts, plural(sessions, "session", "sessions"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ListUsers summarises every user with an enrolled device, a live
// session or a live API key.
func (g *Gateway) ListUsers(ctx context.Context) ([]UserSummary, error) {
	users, _, err := g.listUsers(ctx, -1)
	return users, err
}

// listUsers summarises the first limit users (all of them when limit is
// negative) and says how many more there are.
func (g *Gateway) listUsers(ctx context.Context, limit int) ([]UserSummary, int, error) {
	emails, err := g.store.ListUsers(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("listing users: %w", err)
	}
	more := 0
	if limit >= 0 && len(emails) > limit {
		emails, more = emails[:limit], len(emails)-limit
	}
	out := make([]UserSummary, 0, len(emails))
	for _, e := range emails {
		u := UserSummary{Email: e}
		if u.Devices, err = g.store.ListDevices(ctx, e); err != nil {
			return nil, 0, fmt.Errorf("listing devices of %s: %w", e, err)
		}
		if u.Sessions, err = g.store.ListSessions(ctx, e); err != nil {
			return nil, 0, fmt.Errorf("listing sessions of %s: %w", e, err)
		}
		if u.APIKeys, err = g.apikeys.List(ctx, e); err != nil {
			return nil, 0, err
		}
		if u.BlockedFor, err = g.flow.Blocked(ctx, e); err != nil {
			return nil, 0, fmt.Errorf("checking block of %s: %w", e, err)
		}
		if len(u.Devices) == 0 && len(u.Sessions) == 0 && len(u.APIKeys) == 0 {
			continue // all of it ended between the two reads
		}
		out = append(out, u)
	}
	return out, more, nil
}
