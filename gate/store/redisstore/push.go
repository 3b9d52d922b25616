package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// A device's push subscription lives in two fields of its HASH: "push"
// holds its JSON, "push_endpoint" its endpoint alone, so that dropping it
// on a push service's "gone" can compare endpoints inside one script.
const (
	fieldPush         = "push"
	fieldPushEndpoint = "push_endpoint"
)

// setPushSrc replaces or removes the push fields of an existing device.
// KEYS[1] the device; ARGV[1] the JSON ("" removes), ARGV[2] the endpoint.
// Returns 1 if the device exists, 0 if not.
const setPushSrc = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == '' then
  redis.call('HDEL', KEYS[1], 'push', 'push_endpoint')
else
  redis.call('HSET', KEYS[1], 'push', ARGV[1], 'push_endpoint', ARGV[2])
end
return 1
`

// dropPushSrc removes the push fields if the endpoint is ARGV[1].
// KEYS[1] the device. Returns 1 if it removed them.
const dropPushSrc = `
if redis.call('HGET', KEYS[1], 'push_endpoint') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'push', 'push_endpoint')
  return 1
end
return 0
`

// pushFields returns the HASH fields and values that hold sub.
func pushFields(sub *store.PushSubscription) ([]any, error) {
	data, err := json.Marshal(sub)
	if err != nil {
		return nil, fmt.Errorf("redis store: encoding push subscription: %w", err)
	}
	return []any{fieldPush, data, fieldPushEndpoint, sub.Endpoint}, nil
}

// decodePush reads the "push" field; "" is no subscription.
func decodePush(raw string) (*store.PushSubscription, error) {
	if raw == "" {
		return nil, nil
	}
	var p store.PushSubscription
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("redis store: decoding push subscription: %w", err)
	}
	return &p, nil
}

// SetPushSubscription replaces the device's push subscription (nil
// removes it) in one script. ErrNotFound if there is no such device.
func (s *Store) SetPushSubscription(ctx context.Context, id string, sub *store.PushSubscription) error {
	if err := s.check(); err != nil {
		return err
	}
	data, endpoint := "", ""
	if sub != nil {
		b, err := json.Marshal(sub)
		if err != nil {
			return fmt.Errorf("redis store: encoding push subscription: %w", err)
		}
		data, endpoint = string(b), sub.Endpoint
	}
	n, err := s.scripts.setPush.Run(ctx, s.pipe, []string{s.deviceKey(id)}, data, endpoint).Int()
	if err != nil {
		return wrap("setting push subscription", err)
	}
	if n == 0 {
		return fmt.Errorf("redis store: setting push subscription: %w", store.ErrNotFound)
	}
	return nil
}

// DropPushSubscription removes the device's push subscription if its
// endpoint is endpoint.
func (s *Store) DropPushSubscription(ctx context.Context, id, endpoint string) error {
	if err := s.check(); err != nil {
		return err
	}
	return wrap("dropping push subscription", s.scripts.dropPush.Run(ctx, s.pipe, []string{s.deviceKey(id)}, endpoint).Err())
}
