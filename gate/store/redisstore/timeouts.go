package redisstore

import (
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client defaults that fail fast: a stalled Redis must cost a request
// about a second, not go-redis's own defaults (a 5 s dial, 3 s reads and
// writes, three retries, and contexts ignored). A URL parameter of the
// same name overrides each.
const (
	// DefaultDialTimeout bounds connecting (dial_timeout).
	DefaultDialTimeout = time.Second
	// DefaultReadTimeout bounds waiting for a reply (read_timeout).
	DefaultReadTimeout = time.Second
	// DefaultWriteTimeout bounds sending a command (write_timeout).
	DefaultWriteTimeout = time.Second
	// DefaultPoolTimeout bounds waiting for a free connection
	// (pool_timeout).
	DefaultPoolTimeout = time.Second
	// DefaultMaxRetries is how often a failed command is retried
	// (max_retries): once, for a connection that broke between uses; a
	// stalled server must not multiply the wait.
	DefaultMaxRetries = 1
)

// timeouts is the part of go-redis's options that failFast sets; each
// client type has its own options struct.
type timeouts struct {
	dial, read, write, pool *time.Duration
	retries                 *int
	contextDeadlines        *bool
}

// failFast fills in the defaults above where the URL's query q leaves an
// option unset, and makes the client honour context deadlines on every
// command, so a caller's deadline is the bound it sets.
func failFast(q url.Values, t timeouts) {
	set := func(name string, field *time.Duration, def time.Duration) {
		if !q.Has(name) {
			*field = def
		}
	}
	set("dial_timeout", t.dial, DefaultDialTimeout)
	set("read_timeout", t.read, DefaultReadTimeout)
	set("write_timeout", t.write, DefaultWriteTimeout)
	set("pool_timeout", t.pool, DefaultPoolTimeout)
	if !q.Has("max_retries") {
		*t.retries = DefaultMaxRetries
	}
	*t.contextDeadlines = true
}

func failFastClient(q url.Values, o *redis.Options) {
	failFast(q, timeouts{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries, &o.ContextTimeoutEnabled})
}

// failFastCluster leaves MaxRetries as it is: on a Cluster it also
// bounds the MOVED and ASK redirects followed during a resharding.
func failFastCluster(q url.Values, o *redis.ClusterOptions) {
	var retries int
	failFast(q, timeouts{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &retries, &o.ContextTimeoutEnabled})
}

func failFastFailover(q url.Values, o *redis.FailoverOptions) {
	failFast(q, timeouts{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.MaxRetries, &o.ContextTimeoutEnabled})
}
