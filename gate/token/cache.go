package token

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cacheProbes bounds how many entries one insert looks at when it picks a
// victim, so that a full cache never makes an insert scan the whole shard.
const cacheProbes = 8

// maxCacheShards caps the number of shards; each shard has its own lock, so
// readers on different cores rarely touch the same lock word.
const maxCacheShards = 32

// verifiedCache remembers tokens that verified, until they expire. It is
// bounded, safe for concurrent use, and a lookup takes a read lock and
// allocates nothing. Failures are never put in it.
//
// Each shard is a fixed ring of slots swept by a CLOCK hand: a hit marks its
// entry referenced, and an insert into a full shard evicts the first
// unreferenced or expired entry among the next cacheProbes slots (clearing
// marks on the way), or the last one probed. Entries are found by a seeded
// 64-bit hash of the token and confirmed by comparing the whole token, so a
// hash collision can only cost a miss, never return another token's identity.
type verifiedCache struct {
	seed   maphash.Seed
	mask   uint64
	shards []cacheShard
}

type cacheShard struct {
	mu    sync.RWMutex
	index map[uint64]*cacheEntry
	ring  []*cacheEntry // nil slots are free
	hand  int
	_     [40]byte // keep neighbouring shards' locks off one cache line
}

type cacheEntry struct {
	hash      uint64
	slot      int
	token     string
	v         *Verified
	validFrom int64 // unix nanoseconds; the entry counts from here...
	expires   int64 // ...until here (exclusive)
	ref       atomic.Bool
}

// newVerifiedCache returns a cache of at most size entries, or nil (no
// caching) when size <= 0.
func newVerifiedCache(size int) *verifiedCache {
	if size <= 0 {
		return nil
	}
	n := 1
	for n < maxCacheShards && n*2*1024 <= size {
		n *= 2
	}
	per := size / n // n <= size/1024 when n > 1, so rounding down loses little
	c := &verifiedCache{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]cacheShard, n)}
	for i := range c.shards {
		c.shards[i].index = make(map[uint64]*cacheEntry, per)
		c.shards[i].ring = make([]*cacheEntry, per)
	}
	return c
}

// get returns the verified token if it is cached and counts at now.
func (c *verifiedCache) get(token string, now time.Time) *Verified {
	h := maphash.String(c.seed, token)
	s := &c.shards[h&c.mask]
	s.mu.RLock()
	e := s.index[h]
	s.mu.RUnlock()
	if e == nil || e.token != token {
		return nil
	}
	t := now.UnixNano()
	if t < e.validFrom || t >= e.expires {
		return nil
	}
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	return e.v
}

// put caches v for token between validFrom and expires. The token is
// copied, so the cache never pins a larger buffer the caller sliced it from.
func (c *verifiedCache) put(token string, v *Verified, validFrom, expires time.Time, now time.Time) {
	h := maphash.String(c.seed, token)
	s := &c.shards[h&c.mask]
	t := now.UnixNano()
	e := &cacheEntry{hash: h, token: strings.Clone(token), v: v,
		validFrom: validFrom.UnixNano(), expires: expires.UnixNano()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.index[h]; old != nil {
		if old.token == token && old.expires > t {
			return // a concurrent miss got here first
		}
		// Same hash, other or expired token: take over its slot. Entries
		// are immutable once published (readers use them unlocked), so the
		// old one is replaced, not rewritten.
		e.slot = old.slot
		s.ring[e.slot] = e
		s.index[h] = e
		return
	}
	slot := s.victim(t)
	e.slot = slot
	if old := s.ring[slot]; old != nil {
		delete(s.index, old.hash)
	}
	s.ring[slot] = e
	s.index[h] = e
	s.hand = (slot + 1) % len(s.ring)
}

// victim picks the slot an insert uses, looking at no more than cacheProbes
// slots. It is called with s.mu held.
func (s *cacheShard) victim(now int64) int {
	n := len(s.ring)
	slot := s.hand
	for i := 0; i < cacheProbes && i < n; i++ {
		slot = (s.hand + i) % n
		e := s.ring[slot]
		if e == nil || e.expires <= now || !e.ref.Load() {
			return slot
		}
		e.ref.Store(false)
	}
	return slot
}

// len returns the number of cached entries, live or expired.
func (c *verifiedCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.index)
		s.mu.RUnlock()
	}
	return n
}
