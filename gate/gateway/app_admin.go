package gateway

import (
	"context"
	"fmt"

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

// RevokeSession ends the session sid on every instance, as an operator:
// its token is refused here at once and elsewhere within the revocation
// delay, and session_revoked is emitted with by "admin". An unknown or
// already ended session is an error wrapping store.ErrNotFound.
func (g *Gateway) RevokeSession(ctx context.Context, sid string) error {
	sess, err := g.store.GetSession(ctx, sid)
	if err != nil {
		return fmt.Errorf("revoking session %s: %w", sid, err)
	}
	if err := g.flow.RevokeSession(ctx, sess, "admin"); err != nil {
		return fmt.Errorf("revoking session %s: %w", sid, err)
	}
	g.revocations.Apply(store.RevocationEvent{SessionID: sess.ID, Until: sess.ExpiresAt})
	return nil
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
