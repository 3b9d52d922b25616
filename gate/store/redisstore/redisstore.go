// Package redisstore is the store.Store on Redis, shared by every gateway
// instance that points at the same server: single node, Sentinel or
// Cluster, through go-redis's UniversalClient.
//
// Every key carries a hash tag, and every Lua script and every multi-key
// command touches keys of one tag only, so the store works unchanged on a
// Redis Cluster. A user's index keys share the user's tag. Ids, emails and
// counter keys come from users; they enter a key only through tag, which
// keeps braces and other unsafe bytes out of it.
//
// Every key with a lifetime carries a TTL; the per-user and revocation
// indexes are pruned as they are written and read. Network failures, a
// closed client and Redis replies that mean "not now" (LOADING,
// CLUSTERDOWN, READONLY…) are reported as errors wrapping
// store.ErrUnavailable.
package redisstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/gate/store"
)

// DefaultPrefix starts every key when Options.Prefix is empty.
const DefaultPrefix = "authgate"

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key and the revocation channel's name, so that
	// several gateways (or tests) can share one Redis. Empty means
	// DefaultPrefix. Braces would turn the prefix into a hash tag, so New
	// replaces each with an underscore.
	Prefix string
	// WaitReplicas, when above zero, makes every write that decides who
	// is signed in (a new login and its pending claim, a login's
	// transitions, a new session, a revocation, a generation, a restore)
	// wait until that many replicas hold it
	// (Redis WAIT), and fail with store.ErrUnavailable when they do not
	// confirm within WaitTimeout: the caller then reports failure rather
	// than a success a failover could undo. Zero waits for none.
	WaitReplicas int
	// WaitTimeout bounds each wait; zero means DefaultWaitTimeout. Keep
	// it below the client's read timeout (3 s by default). Open refuses
	// WaitReplicas on a Cluster client: there WAIT may reach another node
	// than the write.
	WaitTimeout time.Duration
}

// Store is a store.Store on Redis. It is safe for concurrent use.
type Store struct {
	client     redis.UniversalClient
	pipe       *pipe // the client's automatic pipeline, for request-path calls
	prefix     string
	ownsClient bool
	scripts    scripts

	waitReplicas int
	waitTimeout  time.Duration

	closeOnce sync.Once
	closed    chan struct{} // closed by Close; ends subscriptions
	closeErr  error

	usersComplete atomic.Bool // the users set is known to hold every device's email
}

// New returns a store on client. The caller keeps ownership of client:
// Close does not close it.
func New(client redis.UniversalClient, opts Options) *Store {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	prefix = strings.NewReplacer("{", "_", "}", "_").Replace(prefix)
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = DefaultWaitTimeout
	}
	return &Store{client: client, pipe: newPipe(client, maxQueued), prefix: prefix, scripts: newScripts(), closed: make(chan struct{}),
		waitReplicas: opts.WaitReplicas, waitTimeout: opts.WaitTimeout}
}

// Open connects to the Redis that rawURL names (see ParseURL for the forms
// it accepts, plus wait_replicas=N and wait_timeout=D, which set
// Options.WaitReplicas and Options.WaitTimeout where opts leaves them
// zero) and returns a store that owns the client: Close closes it.
// Open does not dial; the first call (or Ping) does.
func Open(rawURL string, opts Options) (*Store, error) {
	rawURL, err := takeWaitParams(rawURL, &opts)
	if err != nil {
		return nil, err
	}
	client, err := NewClient(rawURL)
	if err != nil {
		return nil, err
	}
	if _, cluster := client.(*redis.ClusterClient); cluster && opts.WaitReplicas > 0 {
		_ = client.Close()
		return nil, fmt.Errorf("redis store: %s is not supported on a Redis Cluster yet (WAIT must reach the primary of the {rev} slot)", paramWaitReplicas)
	}
	s := New(client, opts)
	s.ownsClient = true
	return s, nil
}

// Ping reports whether Redis answers; the error wraps
// store.ErrUnavailable when it does not.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	return wrap("ping", s.client.Ping(ctx).Err())
}

// CheckWrites reports whether Redis takes a write, by setting a small
// key that expires in ten seconds: a Redis that answers PING may still
// refuse every write (full under noeviction, a read-only replica after
// a failover, an ACL that allows reads only), and then new logins fail.
// The error wraps store.ErrUnavailable.
func (s *Store) CheckWrites(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	return wrap("writing", s.client.Set(ctx, s.writeCheckKey(), "1", 10*time.Second).Err())
}

// EvictionPolicy returns Redis's maxmemory-policy, as CONFIG GET reads
// it; an error when Redis does not say (some managed services refuse
// CONFIG). Under an allkeys-* policy Redis may evict any key: the epoch
// marker (every user signed out), a device (a phone unenrolled), a
// revocation.
func (s *Store) EvictionPolicy(ctx context.Context) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	m, err := s.client.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return "", wrap("reading maxmemory-policy", err)
	}
	p, ok := m["maxmemory-policy"]
	if !ok {
		return "", fmt.Errorf("redis store: reading maxmemory-policy: Redis did not say")
	}
	return p, nil
}

// Close ends every revocation subscription of this store and, if Open made
// the client, closes it. Later calls fail with an error wrapping
// store.ErrUnavailable. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.ownsClient {
			if err := s.client.Close(); err != nil {
				s.closeErr = fmt.Errorf("redis store: closing the client: %w", err)
			}
		}
	})
	return s.closeErr
}

// check returns an error wrapping store.ErrUnavailable once the store is
// closed.
func (s *Store) check() error {
	select {
	case <-s.closed:
		return fmt.Errorf("redis store: closed: %w", store.ErrUnavailable)
	default:
		return nil
	}
}

var _ store.Store = (*Store)(nil)

// Client returns the Redis client the store uses, so other parts of the
// gateway (the webhook outbox) share its connections. The store still
// owns it when Open made it.
func (s *Store) Client() redis.UniversalClient { return s.client }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }
