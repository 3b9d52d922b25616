package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// UseDeviceForPending sends the device use script and the pending read
// script in one pipeline: one round trip (on a Cluster, one to each of
// the two shards, sent at once). The read is a read: when the use is
// refused its reply is dropped.
func (s *Store) UseDeviceForPending(ctx context.Context, u store.DeviceUse, email string) (*store.PendingUse, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	use, err := s.useCall(u)
	if err != nil {
		return nil, err
	}
	read := s.pendingCall(email)
	// Each call's own error is read below (a failed pipeline sets it on
	// every command).
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		use.queue(ctx, p)
		read.queue(ctx, p)
		return nil
	})
	if err := use.result(ctx, s.client); err != nil {
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
	if err := read.result(ctx, s.client); err != nil {
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
