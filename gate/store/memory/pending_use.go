package memory

import (
	"context"

	"github.com/authgate/authgate/gate/store"
)

// UseDeviceForPending takes the device's marker, then reads the pending
// login, as the two calls do.
func (s *Store) UseDeviceForPending(ctx context.Context, u store.DeviceUse, email string) (*store.PendingUse, error) {
	d, err := s.UseDevice(ctx, u.ID, u.Mark, u.TTL, u.LastUsed)
	if err != nil {
		return nil, err
	}
	out := &store.PendingUse{Device: d}
	out.Login, out.LoginErr = s.PendingLogin(ctx, email)
	return out, nil
}
