package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The store's own URL parameters; NewClient never sees them.
const (
	paramWaitReplicas = "wait_replicas"
	paramWaitTimeout  = "wait_timeout"
)

// takeWaitParams removes wait_replicas and wait_timeout from rawURL and
// sets them in opts where opts leaves them zero. The error never repeats
// the URL.
func takeWaitParams(rawURL string, opts *Options) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("redis store: parsing the Redis URL: %w", err)
	}
	q := u.Query()
	if !q.Has(paramWaitReplicas) && !q.Has(paramWaitTimeout) {
		return rawURL, nil
	}
	if v := q.Get(paramWaitReplicas); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", fmt.Errorf("redis store: Redis URL parameter %s=%q: want a number of replicas, 0 or more", paramWaitReplicas, v)
		}
		if opts.WaitReplicas == 0 {
			opts.WaitReplicas = n
		}
	}
	if v := q.Get(paramWaitTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return "", fmt.Errorf("redis store: Redis URL parameter %s=%q: want a duration such as 500ms", paramWaitTimeout, v)
		}
		if opts.WaitTimeout == 0 {
			opts.WaitTimeout = d
		}
	}
	q.Del(paramWaitReplicas)
	q.Del(paramWaitTimeout)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
