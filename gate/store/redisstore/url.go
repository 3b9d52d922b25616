package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// NewClient returns a go-redis client for rawURL. It accepts:
//
//	redis://[user:pass@]host[:port][/db][?opts]     one server (rediss:// for TLS)
//	unix://[user:pass@]/path/to/redis.sock[?db=N]   one server on a Unix socket
//	redis://host:port?addr=host2:port&addr=host3:port
//	                                                a Cluster: any addr parameter
//	                                                adds seed nodes
//	redis+cluster://host:port[?addr=…]              a Cluster, also with one seed
//	                                                (rediss+cluster:// for TLS)
//	redis+sentinel://[user:pass@]host:port[/db]?master_name=NAME[&addr=host2:port]
//	                                                Sentinel: the host and every
//	                                                addr are sentinels; user and
//	                                                pass are the sentinels'
//	                                                credentials, the password and
//	                                                username parameters the
//	                                                master's (rediss+sentinel://
//	                                                for TLS)
//
// Query parameters are go-redis's (dial_timeout, read_timeout, pool_size,
// max_retries…); an unknown one is an error. Where the URL sets none,
// timeouts are short (see DefaultReadTimeout) and the client honours
// context deadlines, so a stalled Redis fails a call in about a second. The returned error never
// repeats the URL, which may hold a password.
func NewClient(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the url.Error repeats the URL, password and all
		}
		return nil, fmt.Errorf("redis store: parsing the Redis URL: %w", err)
	}
	base, mode, _ := strings.Cut(u.Scheme, "+")
	if base != "redis" && base != "rediss" && base != "unix" {
		return nil, fmt.Errorf("redis store: Redis URL scheme %q: want redis, rediss, unix, redis+cluster or redis+sentinel", u.Scheme)
	}
	if base == "unix" && mode != "" {
		return nil, fmt.Errorf("redis store: Redis URL scheme %q: a Unix socket serves one server only", u.Scheme)
	}
	if mode == "" && base != "unix" && u.Query().Has("addr") {
		mode = "cluster"
	}
	u.Scheme = base
	switch mode {
	case "":
		opts, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis store: Redis URL: %w", err)
		}
		failFastClient(u.Query(), opts)
		return redis.NewClient(opts), nil
	case "cluster":
		opts, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis store: Redis Cluster URL: %w", err)
		}
		failFastCluster(u.Query(), opts)
		return redis.NewClusterClient(opts), nil
	case "sentinel":
		opts, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redis store: Redis Sentinel URL: %w", err)
		}
		if opts.MasterName == "" {
			return nil, fmt.Errorf("redis store: Redis Sentinel URL: the master_name parameter is required")
		}
		failFastFailover(u.Query(), opts)
		return redis.NewFailoverClient(opts), nil
	default:
		return nil, fmt.Errorf("redis store: Redis URL scheme %q: unknown mode %q", u.Scheme, mode)
	}
}
