package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/audit"
	"github.com/authgate/authgate/gate/flow"
	"github.com/authgate/authgate/gate/store"
	"github.com/authgate/authgate/gate/store/memory"
	"github.com/authgate/authgate/gate/store/redisstore"
	"github.com/authgate/authgate/gate/webhook"
	"github.com/authgate/authgate/gate/webhook/outbox"
)

// StoreConfig chooses the store.
type StoreConfig struct {
	// Type is "memory" (default) or "redis".
	Type string `json:"type,omitempty"`
	// URL is the Redis URL: redis://, rediss:// or unix:// (see the
	// README for Sentinel and Cluster forms).
	URL string `json:"url,omitempty"`
	// Prefix begins every Redis key. Default: authgate.
	Prefix string `json:"prefix,omitempty"`
}

// stores shares one open store among the configs that overlap during a
// reload (Caddy starts the new config before it stops the old one), so
// pending logins and in-memory sessions survive a reload. This is Caddy's
// own pattern for resources that outlive one config.
var stores = caddy.NewUsagePool()

// sharedStore is one config's hold on a pooled store.
type sharedStore struct {
	store.Store
	// outbox is the webhook queue of the memory store, shared like the
	// store so deliveries queued under one config survive a reload.
	outbox *outbox.Memory
	// rings holds the memory audit trail, shared like the store so the
	// trail survives a reload.
	rings *auditRings
	// deliveries and health are the memory store's webhook delivery log
	// and receiver health, shared like the store so that dead letters
	// can still be listed and replayed, and counters and 410 disables
	// kept, after a reload.
	deliveries *webhook.MemoryLog
	health     *webhook.MemoryHealth
	// expiries watches the pending logins started under any config using
	// this store, so the config after a reload expires those the one
	// before started.
	expiries *flow.ExpiryWatch
	// instanceID names this process among the instances of the store.
	instanceID string
	// signing remembers the key the last config on this store signed with.
	signing *signingKeyMemory
	key     string
}

// pooledStore is what the pool keeps; Destruct closes it when the last
// config lets go.
type pooledStore struct {
	store.Store
	outbox     *outbox.Memory
	rings      *auditRings
	deliveries *webhook.MemoryLog
	health     *webhook.MemoryHealth
	expiries   *flow.ExpiryWatch
	instanceID string
	signing    *signingKeyMemory
	log        *zap.Logger
}

// handoverTimeout bounds the hand-over of pending logins when the last
// config lets go of a store.
const handoverTimeout = 3 * time.Second

// Destruct hands the pending logins it watches to the store for another
// instance (a store that outlives this one), then closes the store. With
// the memory store it says how many webhook deliveries go with it: the
// queue lives in this process only, a reload keeps it, and a stop (the
// last config letting go) loses what is still queued, retries included.
func (p pooledStore) Destruct() error {
	ctx, cancel := context.WithTimeout(context.Background(), handoverTimeout)
	defer cancel()
	if p.outbox != nil {
		if n, _ := p.outbox.Depth(ctx); n > 0 {
			p.log.Warn("stopping with webhook deliveries still queued: the memory store keeps them in this process only, so they are lost; the Redis store keeps them across a restart",
				zap.Int64("lost", n))
		}
	}
	return errors.Join(p.expiries.HandOver(ctx), p.Close())
}

func openStore(cfg *StoreConfig, log *zap.Logger) (*sharedStore, error) {
	if cfg == nil {
		cfg = &StoreConfig{}
	}
	key := cfg.Type + "|" + cfg.URL + "|" + cfg.Prefix
	val, _, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		switch cfg.Type {
		case "", "memory":
			return pooledStore{Store: memory.New(), outbox: outbox.NewMemory(0, log), rings: new(auditRings),
				deliveries: webhook.NewMemoryLog(0, 0), health: webhook.NewMemoryHealth(), expiries: flow.NewExpiryWatch(), signing: new(signingKeyMemory), log: log}, nil
		case "redis":
			if cfg.URL == "" {
				return nil, errors.New("store redis needs a URL")
			}
			st, err := redisstore.Open(cfg.URL, redisstore.Options{Prefix: cfg.Prefix})
			if err != nil {
				return nil, fmt.Errorf("opening redis store: %w", err)
			}
			return pooledStore{Store: st, expiries: flow.NewSharedExpiryWatch(st), instanceID: newInstanceID(), signing: new(signingKeyMemory)}, nil
		default:
			return nil, fmt.Errorf("unknown store type %q (want memory or redis)", cfg.Type)
		}
	})
	if err != nil {
		return nil, err
	}
	p := val.(pooledStore)
	return &sharedStore{Store: p.Store, outbox: p.outbox, rings: p.rings, deliveries: p.deliveries, health: p.health, expiries: p.expiries, instanceID: p.instanceID, signing: p.signing, key: key}, nil
}

func (s *sharedStore) release() error {
	_, err := stores.Delete(s.key)
	return err
}

// auditRings holds the memory audit ring of a pooled memory store.
type auditRings struct {
	mu   sync.Mutex
	ring *audit.Ring
}

// auditRing returns the store's memory audit ring, made on first use;
// a later config's limits replace the earlier ones.
func (s *sharedStore) auditRing(limits audit.Limits) *audit.Ring {
	if s.rings == nil {
		return audit.NewRing(limits)
	}
	s.rings.mu.Lock()
	defer s.rings.mu.Unlock()
	if s.rings.ring == nil {
		s.rings.ring = audit.NewRing(limits)
	} else {
		s.rings.ring.SetLimits(limits)
	}
	return s.rings.ring
}
