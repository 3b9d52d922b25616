package caddymodule

import (
	"context"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// The Redis client reports some of its own doings (a failed dial, a
// pub/sub connection moved, a Cluster's slots migrating) through one
// process-wide logger, which by default prints plain text to standard
// error. Sending it to Caddy's logger keeps every line of the log in
// Caddy's format, filtered and shipped with the rest.
func init() { redis.SetLogger(redisLogger{}) }

// redisLogger writes the Redis client's messages to Caddy's current
// default logger, looked up at each message so a reload's new log
// configuration applies.
type redisLogger struct{}

// Printf logs one message of the Redis client. authgate's own lines say
// what a failure means for logins; these give the client's detail.
func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	caddy.Log().Named("authgate.redis").Info(fmt.Sprintf(format, v...))
}
