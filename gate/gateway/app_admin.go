package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/authgate/authgate/gate/event"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/policy"
	"github.com/authgate/authgate/gate/store"
)

// The operator's view of devices and sessions, for the admin API. Each
// method works on the shared store, so it acts on every instance; a
// revocation also applies to this instance's revocation set at once,
// before the published copy comes back.

// ListDevices returns the devices enrolled for email (canonicalised),
// oldest first; none is an empty list, not an error. A malformed email is
// an error wrapping flow.ErrInvalidEmail.
func (g *Gateway) ListDevices(ctx context.Context, email string) ([]*store.Device, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return nil, fmt.Errorf("listing devices of %q: %w", email, flow.ErrInvalidEmail)
	}
	devices, err := g.store.ListDevices(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("listing devices of %s: %w", email, err)
	}
	return devices, nil
}

// ListSessions returns the live sessions of email (canonicalised),
// oldest first; none is an empty list, not an error. A malformed email
// is an error wrapping flow.ErrInvalidEmail.
func (g *Gateway) ListSessions(ctx context.Context, email string) ([]*store.Session, error) {
	email = policy.CanonicalEmail(email)
	if !policy.ValidEmail(email) {
		return nil, fmt.Errorf("listing sessions of %q: %w", email, flow.ErrInvalidEmail)
	}
	sessions, err := g.store.ListSessions(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("listing sessions of %s: %w", email, err)
	}
	return sessions, nil
}

// ErrInvalidSessionID is wrapped by RevokeSession's error for an id no
// session can have: empty, longer than maxSessionIDLen, or holding
// control characters.
var ErrInvalidSessionID = errors.New("invalid session id")

// maxSessionIDLen bounds the session ids RevokeSession accepts.
const maxSessionIDLen = 128

// SessionRevocation is what RevokeSession did.
type SessionRevocation struct {
	// Found reports whether the store still had the session's record.
	// When it had not (the session ended, or the store lost it), the id
	// is revoked all the same, since a token may carry it.
	Found bool
	// Until is how long the id stays revoked: the session's expiry, or
	// a whole session lifetime from now when the record is gone.
	Until time.Time
}

// RevokeSession ends the session sid on every instance, as an operator:
// its token is refused here at once and elsewhere within the revocation
// delay, and session_revoked is emitted with by "admin". A session whose
// record is gone is revoked too, until a session lifetime from now, which
// outlasts any token of it: a store that lost the record (a failover, a
// restart) must not leave its cookie working.
func (g *Gateway) RevokeSession(ctx context.Context, sid string) (SessionRevocation, error) {
	if sid == "" || len(sid) > maxSessionIDLen || strings.ContainsFunc(sid, unicode.IsControl) {
		return SessionRevocation{}, fmt.Errorf("revoking session %q: %w", sid, ErrInvalidSessionID)
	}
	sess, err := g.store.GetSession(ctx, sid)
	found := err == nil
	switch {
	case errors.Is(err, store.ErrNotFound):
		sess = &store.Session{ID: sid, ExpiresAt: time.Now().Add(g.flow.Config().SessionLifetime)}
	case err != nil:
		return SessionRevocation{}, fmt.Errorf("revoking session %s: %w", sid, err)
	}
	if err := g.flow.RevokeSession(ctx, sess, "admin"); err != nil {
		return SessionRevocation{}, fmt.Errorf("revoking session %s: %w", sid, err)
	}
	g.revocations.Apply(store.RevocationEvent{SessionID: sess.ID, Until: sess.ExpiresAt})
	return SessionRevocation{Found: found, Until: sess.ExpiresAt}, nil
}

// RevokeDevice removes the device id, as an operator: it can sign
// nothing more (its open event streams end within seconds), and
// device_revoked is emitted with by "admin". Sessions it approved stay
// valid; revoke them separately. An unknown device is an error wrapping
// store.ErrNotFound.
func (g *Gateway) RevokeDevice(ctx context.Context, id string) error {
	d, err := g.store.GetDevice(ctx, id)
	if err != nil {
		return fmt.Errorf("revoking device %s: %w", id, err)
	}
	return g.revokeDevice(ctx, d, "admin")
}

// revokeDevice deletes d and emits device_revoked; by says who asked (an
// email, or "admin").
func (g *Gateway) revokeDevice(ctx context.Context, d *store.Device, by string) error {
	if err := g.store.DeleteDevice(ctx, d.ID); err != nil {
		return fmt.Errorf("revoking device %s: %w", d.ID, err)
	}
	g.events.Emit(ctx, event.New(event.DeviceRevoked, map[string]any{
		"device_id": d.ID, "device_name": d.Name, "email": d.Email, "by": by,
	}))
	return nil
}
