package redisstore

import (
	"context"
	"slices"
)

// ListUsers returns, sorted, the emails with at least one device; the
// first call of a deployment also adds the devices enrolled before the
// users set existed (completeUsers). The users set only grows (an email is added when a device is created); the
// device index of each member says whether it still has one, so a
// concurrent enrolment is never lost to a removal.
func (s *Store) ListUsers(ctx context.Context) ([]string, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if err := s.completeUsers(ctx); err != nil {
		return nil, err
	}
	emails, err := s.client.SMembers(ctx, s.usersKey()).Result()
	if err != nil {
		return nil, wrap("listing users", err)
	}
	slices.Sort(emails)
	out := make([]string, 0, len(emails))
	for chunk := range slices.Chunk(emails, 500) {
		p := s.client.Pipeline()
		for _, e := range chunk {
			p.ZCard(ctx, s.devicesKey(e))
		}
		cmds, err := p.Exec(ctx)
		if err != nil {
			return nil, wrap("listing users' devices", err)
		}
		for i, c := range cmds {
			if n, _ := c.(interface{ Val() int64 }); n != nil && n.Val() > 0 {
				out = append(out, chunk[i])
			}
		}
	}
	return out, nil
}
