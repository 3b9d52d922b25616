package apikey

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// cacheShards is the number of independently written parts of the cache.
const cacheShards = 16

// cache holds verified keys by their whole string until their entry's
// validUntil. Each shard is an immutable map behind an atomic pointer: a
// lookup takes no lock, writes nothing and allocates nothing, so
// requests on many cores do not contend. Writers (a cache miss of a
// valid key, at most once per key per CacheTTL, and revocations) copy the
// shard's map under its lock, dropping expired entries as they go; when
// the shard is full they also drop one live entry. Failures are never put
// in it.
type cache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.Mutex // serializes writers
	m  atomic.Pointer[map[string]*entry]
}

// newCache returns a cache of about size entries.
func newCache(size int) *cache {
	c := &cache{seed: maphash.MakeSeed(), perShard: max(1, size/cacheShards)}
	for i := range c.shards {
		m := make(map[string]*entry)
		c.shards[i].m.Store(&m)
	}
	return c
}

func (c *cache) shard(raw string) *cacheShard {
	return &c.shards[maphash.String(c.seed, raw)%cacheShards]
}

// get returns the entry of raw if it is cached and valid at now.
func (c *cache) get(raw string, now time.Time) *entry {
	e := (*c.shard(raw).m.Load())[raw]
	if e == nil || now.UnixNano() >= e.validUntil {
		return nil
	}
	return e
}

// put caches e under its key string and returns the entry that is cached
// once it is done: an entry still valid that a concurrent miss put there
// first wins, so both requests share one rate-limit bucket.
func (c *cache) put(e *entry, now time.Time) *entry {
	s := c.shard(e.raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now.UnixNano()
	old := *s.m.Load()
	if cur := old[e.raw]; cur != nil && t < cur.validUntil {
		return cur
	}
	next := make(map[string]*entry, min(len(old)+1, c.perShard))
	for k, v := range old {
		if t < v.validUntil && k != e.raw {
			next[k] = v
		}
	}
	if len(next) >= c.perShard {
		for k := range next { // full of live entries: drop any one
			delete(next, k)
			break
		}
	}
	next[e.raw] = e
	s.m.Store(&next)
	return e
}

// drop removes every entry of key id (after a revocation on this
// instance).
func (c *cache) drop(id string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		old := *s.m.Load()
		next := make(map[string]*entry, len(old))
		for k, v := range old {
			if v.v.ID != id {
				next[k] = v
			}
		}
		s.m.Store(&next)
		s.mu.Unlock()
	}
}

// len returns the number of cached entries, valid or not.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		n += len(*c.shards[i].m.Load())
	}
	return n
}
