package redisstore

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// UseDeviceAndDecide runs the use and the decision as one script when
// the device, the login and the deciding email share a group (a device
// made by store.NewDeviceID, a login by store.NewLoginID); else the use
// and then the decision, two steps.
func (s *Store) UseDeviceAndDecide(ctx context.Context, u store.DeviceUse, id string, d store.Decision) (*store.DecideUse, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if d.DeviceID != u.ID {
		return nil, fmt.Errorf("redis store: deciding with device %s for device %s", u.ID, d.DeviceID)
	}
	grp := store.DeviceGroup(u.ID)
	if grp == "" || store.LoginGroup(id) != grp || store.GroupOf(d.Email) != grp {
		dev, err := s.UseDevice(ctx, u.ID, u.Mark, u.TTL, u.LastUsed)
		if err != nil {
			return nil, err
		}
		out := &store.DecideUse{Device: dev}
		out.Login, out.Outcome, out.LoginErr = s.DecideLogin(ctx, id, d)
		return out, nil
	}
	use, err := s.useCall(u)
	if err != nil {
		return nil, err
	}
	keys, args, err := s.decideCall(id, d)
	if err != nil {
		return nil, err
	}
	res, err := s.scripts.useAndDecide.Run(ctx, s.pipe, append(use.keys, keys...), append(use.args, args...)...).Slice()
	if err != nil {
		return nil, wrap("using device and deciding login", err)
	}
	switch kind, _ := res[0].(int64); kind {
	case 10:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrNotFound)
	case 11:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrConflict)
	}
	dev, err := useDeviceReply([]any{int64(2), res[len(res)-1]})
	if err != nil {
		return nil, err
	}
	out := &store.DecideUse{Device: dev}
	out.Login, out.Outcome, out.LoginErr = s.decideReply(ctx, id, d, res[:len(res)-1])
	return out, nil
}
