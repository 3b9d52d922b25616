package token

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Identity is who a token is minted for.
type Identity struct {
	// Email is the user's canonical email; it becomes the sub claim.
	Email string
	// SessionID names the logged-in session (sid); revoking it voids the
	// token.
	SessionID string
	// DeviceID is the device that approved the login (did).
	DeviceID string
	// Groups are the user's groups, for policy and the Remote-Groups header.
	Groups []string
	// Generation is the user's generation when the token is minted (gen);
	// bumping it voids every older token ("log out everywhere").
	Generation int64
	// Epoch is the store's epoch when the token is minted (ep), from
	// Revocations.Epoch: once the store loses its data, its epoch
	// changes and the token is void.
	Epoch int64
	// IssuedAt is iat and nbf; zero means now.
	IssuedAt time.Time
	// ExpiresAt is exp; it must be after IssuedAt.
	ExpiresAt time.Time
}

// Verified is a token that passed every check. A *Verified may be shared
// by every request that presents the same token: callers must not modify
// it, nor the slices it holds.
type Verified struct {
	// Email is the sub claim: the user's canonical email.
	Email string
	// SessionID is the sid claim, never empty.
	SessionID string
	// DeviceID is the did claim; empty if none was minted.
	DeviceID string
	// Groups is the groups claim.
	Groups []string
	// Generation is the gen claim, to be checked with Revocations.Check.
	Generation int64
	// Epoch is the ep claim (0 if none), to be checked with
	// Revocations.Check.
	Epoch int64
	// IssuedAt is the iat claim.
	IssuedAt time.Time
	// ExpiresAt is the exp claim; the token is not accepted from the
	// cache at or after it.
	ExpiresAt time.Time

	// GroupsHeader is the Remote-Groups value, strings.Join(Groups, ","),
	// computed once (an empty string when there are no groups).
	GroupsHeader string
}

// newVerified fills in the precomputed header value.
func newVerified(c *claims) *Verified {
	v := &Verified{
		Email:      c.Subject,
		SessionID:  c.SessionID,
		DeviceID:   c.DeviceID,
		Groups:     c.Groups,
		Generation: c.Generation,
		Epoch:      c.Epoch,
		IssuedAt:   c.IssuedAt.Time,
		ExpiresAt:  c.ExpiresAt.Time,
	}
	v.GroupsHeader = strings.Join(v.Groups, ",")
	return v
}

// claims is the JWT payload authgate mints: the registered claims plus the
// session, device, groups, generation and store epoch.
type claims struct {
	jwt.RegisteredClaims
	SessionID  string   `json:"sid"`
	DeviceID   string   `json:"did,omitempty"`
	Groups     []string `json:"groups,omitempty"`
	Generation int64    `json:"gen"`
	Epoch      int64    `json:"ep,omitempty"`
}

// checkIdentity refuses an identity that would mint an unusable or
// ambiguous token: header values must survive being put in a request.
func checkIdentity(id Identity) error {
	if id.Email == "" {
		return errors.New("identity has no email")
	}
	if id.SessionID == "" {
		return errors.New("identity has no session id")
	}
	if id.Generation < 0 {
		return fmt.Errorf("identity has negative generation %d", id.Generation)
	}
	for _, f := range []struct{ name, v string }{
		{"email", id.Email}, {"session id", id.SessionID}, {"device id", id.DeviceID},
	} {
		if hasControl(f.v) {
			return fmt.Errorf("identity %s contains control characters", f.name)
		}
	}
	for _, g := range id.Groups {
		if g == "" || strings.Contains(g, ",") || hasControl(g) {
			return fmt.Errorf("identity group %q is empty or contains a comma or control characters", g)
		}
	}
	return nil
}

// hasControl reports whether s has an ASCII control character or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
