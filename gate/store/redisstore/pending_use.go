package redisstore

import (
	"context"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// UseDeviceForPending runs the device use and the pending read as one
// script for a device in its user's group (store.NewDeviceID); for an
// older device it sends the two scripts together: one round trip
// either way (on a Cluster, one to each of the two shards, sent at
// once). The read is a read: when the use is refused its reply is
// dropped.
func (s *Store) UseDeviceForPending(ctx context.Context, u store.DeviceUse, email string) (*store.PendingUse, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	use, err := s.useCall(u)
	if err != nil {
		return nil, err
	}
	read := s.pendingCall(email)
	if grp := store.DeviceGroup(u.ID); grp != "" && grp == store.GroupOf(email) {
		return s.useForPendingInGroup(ctx, use, read)
	}
	if err := s.pipe.sendAll(ctx, use.build(ctx), read.build(ctx)); err != nil {
		return nil, wrap("using device", err)
	}
	if err := use.result(ctx, s.pipe); err != nil {
		return nil, wrap("using device", err)
	}
	res, err := use.cmd.Slice()
	if err != nil {
		return nil, wrap("using device", err)
	}
	d, err := useDeviceReply(res)
	if err != nil {
		return nil, err
	}
	out := &store.PendingUse{Device: d}
	if err := read.result(ctx, s.pipe); err != nil {
		out.LoginErr = wrap("reading pending login", err)
		return out, nil
	}
	if res, err := read.cmd.Slice(); err != nil {
		out.LoginErr = wrap("reading pending login", err)
	} else {
		out.Login, out.LoginErr = s.pendingReply(ctx, res)
	}
	return out, nil
}

// useForPendingInGroup runs use and read as one script.
func (s *Store) useForPendingInGroup(ctx context.Context, use, read scriptCall) (*store.PendingUse, error) {
	res, err := s.scripts.useAndPending.Run(ctx, s.pipe, append(use.keys, read.keys...), append(use.args, read.args...)...).Slice()
	if err != nil {
		return nil, wrap("using device and reading pending login", err)
	}
	switch kind, _ := res[0].(int64); kind {
	case 10:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrNotFound)
	case 11:
		return nil, fmt.Errorf("redis store: using device: %w", store.ErrConflict)
	}
	d, err := useDeviceReply([]any{int64(2), res[len(res)-1]})
	if err != nil {
		return nil, err
	}
	out := &store.PendingUse{Device: d}
	out.Login, out.LoginErr = s.pendingReply(ctx, res[:len(res)-1])
	return out, nil
}
