package redisstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// SubscribeLogins subscribes to the login channel, calls ready once Redis
// has confirmed the subscription, and then calls fn for each change any
// instance publishes: the login scripts publish from inside Redis, so a
// change costs no extra round trip. It returns as SubscribeRevocations
// does; after an error changes may have been missed, so the caller should
// read again what it watches and subscribe again. Messages that do not
// decode are skipped.
//
// The channel is one for the whole store. On a Cluster, PUBLISH reaches
// every node, so each instance needs one subscription whatever the number
// of shards.
func (s *Store) SubscribeLogins(ctx context.Context, ready func(), fn func(store.LoginChange)) error {
	return s.subscribe(ctx, s.loginChannel(), "login changes", ready, func(payload string) {
		var c store.LoginChange
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			return
		}
		fn(c)
	})
}

// loginChannel is the pub/sub channel of login changes.
func (s *Store) loginChannel() string { return s.prefix + ":logins" }

// changeMessage encodes c for the login channel.
func changeMessage(c store.LoginChange) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("redis store: encoding login change: %w", err)
	}
	return string(b), nil
}
