package redisstore

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ListUsers returns, sorted, the emails with at least one device, live
// session or live API key; the first call of a deployment also adds the
// devices enrolled before the users set existed (completeUsers). The
// users set only grows (an email is added when a device or an API key is
// created), so it holds everyone who ever had either; a member's indexes
// say whether they still have one, so a concurrent enrolment is never
// lost to a removal. A member with no device but entries in the session
// or API key index is listed only once those entries are read as live
// (the reads prune the stale ones).
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
		now := strconv.FormatInt(time.Now().UnixMilli(), 10)
		p := s.client.Pipeline()
		devices := make([]*redis.IntCmd, len(chunk))
		sessions := make([]*redis.IntCmd, len(chunk))
		keys := make([]*redis.IntCmd, len(chunk))
		for i, e := range chunk {
			devices[i] = p.ZCard(ctx, s.devicesKey(e))
			sessions[i] = p.ZCount(ctx, s.sessionsKey(e), "("+now, "+inf")
			keys[i] = p.ZCard(ctx, s.apiKeysKey(e))
		}
		if _, err := p.Exec(ctx); err != nil {
			return nil, wrap("listing users' devices, sessions and API keys", err)
		}
		for i, e := range chunk {
			switch {
			case devices[i].Val() > 0:
				out = append(out, e)
			case sessions[i].Val() > 0 || keys[i].Val() > 0:
				live, err := s.hasLiveAccess(ctx, e, sessions[i].Val() > 0, keys[i].Val() > 0)
				if err != nil {
					return nil, err
				}
				if live {
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

// hasLiveAccess reports whether the device-less user email still has a
// live session or API key, reading the records their indexes name.
func (s *Store) hasLiveAccess(ctx context.Context, email string, sessions, keys bool) (bool, error) {
	if keys {
		k, err := s.ListAPIKeys(ctx, email)
		if err != nil || len(k) > 0 {
			return len(k) > 0, err
		}
	}
	if sessions {
		ss, err := s.ListSessions(ctx, email)
		return len(ss) > 0, err
	}
	return false, nil
}
