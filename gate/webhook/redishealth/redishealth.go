// Package redishealth keeps webhook endpoint health (counters, last
// status, the disabled-after-410 flag) in Redis, one hash per endpoint,
// so every instance of a gateway reports and obeys the same picture.
package redishealth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/webhook"
)

// Store is a webhook.HealthStore on Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// New returns a Store whose keys start with prefix (which should hold a
// hash tag, such as "authgate:{webhooks}", so Cluster keeps them on one
// slot).
func New(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) key(id string) string { return s.prefix + ":health:" + id }

// Hash fields.
const (
	fDisabled  = "disabled"
	fFiredAt   = "last_fired_at"
	fStatus    = "last_status"
	fError     = "last_error"
	fDelivered = "delivered"
	fFailed    = "failed"
	fDead      = "dead"
)

// Record applies u in one pipelined round trip (an HSET and an HINCRBY
// per counter that changed; no MULTI: a reader may see half of it, never
// a wrong total).
func (s *Store) Record(ctx context.Context, endpointID string, u webhook.HealthUpdate) error {
	k := s.key(endpointID)
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if u.Fired {
			p.HSet(ctx, k, fFiredAt, u.At.UTC().Format(time.RFC3339Nano), fStatus, u.Status, fError, u.Error)
		} else if u.Error != "" {
			p.HSet(ctx, k, fError, u.Error)
		}
		if u.Disable {
			p.HSet(ctx, k, fDisabled, 1)
		}
		for f, n := range map[string]int64{fDelivered: u.Delivered, fFailed: u.Failed, fDead: u.Dead} {
			if n != 0 {
				p.HIncrBy(ctx, k, f, n)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording webhook health of %q: %w", endpointID, err)
	}
	return nil
}

// SetDisabled sets or clears the disabled flag.
func (s *Store) SetDisabled(ctx context.Context, endpointID string, disabled bool) error {
	v := 0
	if disabled {
		v = 1
	}
	if err := s.rdb.HSet(ctx, s.key(endpointID), fDisabled, v).Err(); err != nil {
		return fmt.Errorf("setting webhook %q disabled=%v: %w", endpointID, disabled, err)
	}
	return nil
}

// Forget deletes the health of endpointID.
func (s *Store) Forget(ctx context.Context, endpointID string) error {
	if err := s.rdb.Del(ctx, s.key(endpointID)).Err(); err != nil {
		return fmt.Errorf("forgetting webhook health of %q: %w", endpointID, err)
	}
	return nil
}

// Load reads the health of ids in one pipelined round trip.
func (s *Store) Load(ctx context.Context, ids []string) (map[string]webhook.Health, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading webhook health: %w", err)
	}
	out := make(map[string]webhook.Health, len(ids))
	for i, id := range ids {
		m := cmds[i].Val()
		if len(m) == 0 {
			continue
		}
		var h webhook.Health
		h.Disabled = m[fDisabled] == "1"
		h.LastFiredAt, _ = time.Parse(time.RFC3339Nano, m[fFiredAt])
		h.LastStatus, _ = strconv.Atoi(m[fStatus])
		h.LastError = m[fError]
		h.Delivered, _ = strconv.ParseInt(m[fDelivered], 10, 64)
		h.Failed, _ = strconv.ParseInt(m[fFailed], 10, 64)
		h.Dead, _ = strconv.ParseInt(m[fDead], 10, 64)
		out[id] = h
	}
	return out, nil
}

var _ webhook.HealthStore = (*Store)(nil)
