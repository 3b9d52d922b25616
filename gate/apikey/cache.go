package apikey

import (
	"hash/maphash"
	"sync"
	"time"
)

// cacheShards is the number of independently locked parts of the cache.
const cacheShards = 16

// cache holds verified keys by their whole string until their entry's
// validUntil. Lookups take a shard's read lock and allocate nothing;
// failures are never put in it. When a shard is full an insert drops an
// expired entry if it finds one among the first few, else any entry.
type cache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*entry
}

// newCache returns a cache of about size entries.
func newCache(size int) *cache {
	c := &cache{seed: maphash.MakeSeed(), perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*entry)
	}
	return c
}

func (c *cache) shard(raw string) *cacheShard {
	return &c.shards[maphash.String(c.seed, raw)%cacheShards]
}

// get returns the entry of raw if it is cached and valid at now.
func (c *cache) get(raw string, now time.Time) *entry {
	s := c.shard(raw)
	s.mu.RLock()
	e := s.m[raw]
	s.mu.RUnlock()
	if e == nil || now.UnixNano() >= e.validUntil {
		return nil
	}
	return e
}

// put caches e under its key string, replacing an older entry; it
// returns the entry that is cached once it is done (an equally fresh one
// a concurrent miss put there first wins, so both share one rate-limit
// bucket).
func (c *cache) put(e *entry, now time.Time) *entry {
	s := c.shard(e.raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now.UnixNano()
	if old := s.m[e.raw]; old != nil && t < old.validUntil {
		return old
	}
	if len(s.m) >= c.perShard {
		n, victim := 0, ""
		for k, old := range s.m {
			if t >= old.validUntil {
				victim = k
				break
			}
			if victim == "" {
				victim = k
			}
			if n++; n == 8 {
				break
			}
		}
		delete(s.m, victim)
	}
	s.m[e.raw] = e
	return e
}

// drop removes every entry of key id (after a revocation on this
// instance).
func (c *cache) drop(id string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if e.v.ID == id {
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// len returns the number of cached entries, valid or not.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
