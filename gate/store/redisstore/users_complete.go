package redisstore

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/redis/go-redis/v9"
)

// usersCompleteKey marks that the users set holds the email of every
// device, those enrolled before the set existed included.
func (s *Store) usersCompleteKey() string { return s.prefix + ":{users}:complete" }

// completeUsers adds to the users set, once for the whole deployment, the
// emails of devices enrolled before the set existed: it scans the device
// records (every primary of a Cluster) and then sets usersCompleteKey.
// Later calls cost one EXISTS, and none once this instance has seen the
// mark. A scan cut short is done again by the next call.
func (s *Store) completeUsers(ctx context.Context) error {
	if s.usersComplete.Load() {
		return nil
	}
	n, err := s.client.Exists(ctx, s.usersCompleteKey()).Result()
	if err != nil {
		return wrap("reading the users mark", err)
	}
	if n == 0 {
		scan := func(ctx context.Context, c *redis.Client) error { return s.addDeviceEmails(ctx, c) }
		if cc, ok := s.client.(*redis.ClusterClient); ok {
			err = cc.ForEachMaster(ctx, scan)
		} else {
			err = s.addDeviceEmails(ctx, s.client)
		}
		if err != nil {
			return err
		}
		if err := s.client.Set(ctx, s.usersCompleteKey(), "1", 0).Err(); err != nil {
			return wrap("marking the users set complete", err)
		}
	}
	s.usersComplete.Store(true)
	return nil
}

// scanner is the part of a client (one node) addDeviceEmails uses.
type scanner interface {
	Scan(ctx context.Context, cursor uint64, match string, count int64) *redis.ScanCmd
	Pipeline() redis.Pipeliner
}

// addDeviceEmails adds the email of every device record on c to the
// users set.
func (s *Store) addDeviceEmails(ctx context.Context, c scanner) error {
	match := s.prefix + ":device:{d:*}"
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, match, 500).Result()
		if err != nil {
			return wrap("scanning devices", err)
		}
		records := keys[:0]
		for _, k := range keys {
			if strings.HasSuffix(k, "}") { // not a marker key beside a device
				records = append(records, k)
			}
		}
		if len(records) > 0 {
			p := c.Pipeline()
			cmds := make([]*redis.StringCmd, len(records))
			for i, k := range records {
				cmds[i] = p.HGet(ctx, k, fieldData)
			}
			if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
				return wrap("reading devices", err)
			}
			emails := make([]any, 0, len(records))
			for _, cmd := range cmds {
				var d struct {
					Email string `json:"email"`
				}
				if raw, err := cmd.Bytes(); err == nil && json.Unmarshal(raw, &d) == nil && d.Email != "" {
					emails = append(emails, d.Email)
				}
			}
			if len(emails) > 0 {
				if err := s.client.SAdd(ctx, s.usersKey(), emails...).Err(); err != nil {
					return wrap("adding users", err)
				}
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}
