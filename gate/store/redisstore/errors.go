package redisstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// unavailableReply reports whether err is a Redis error reply that means
// the server cannot serve the call now, rather than that the call was
// wrong: among them a refused password or ACL (WRONGPASS, NOAUTH,
// NOPERM), as after a password rotated under a running gateway, which
// the operator fixes as they would an outage.
func unavailableReply(err error) bool {
	for _, p := range []string{"LOADING", "CLUSTERDOWN", "MASTERDOWN", "READONLY",
		"TRYAGAIN", "BUSY", "NOREPLICAS", "OOM", "WRONGPASS", "NOAUTH", "NOPERM"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// wrap returns err with what was being done, wrapping store.ErrUnavailable
// when Redis could not be reached or cannot serve, and store.ErrNotFound
// for redis.Nil. It returns nil for nil.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("redis store: %s: %w", op, store.ErrNotFound)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("redis store: %s: %w", op, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("redis store: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	var reply redis.Error
	if errors.As(err, &reply) && !unavailableReply(err) {
		return fmt.Errorf("redis store: %s: %w", op, err)
	}
	return fmt.Errorf("redis store: %s: %w: %w", op, store.ErrUnavailable, err)
}
