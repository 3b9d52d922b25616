package token

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cacheWays is the number of slots in a bucket: a token can live only in
// the bucket its hash picks, so a lookup reads at most cacheWays slots and
// an insert looks at no more than that to pick a victim.
const cacheWays = 4

// cacheStripes is the number of locks writers take (by bucket).
const cacheStripes = 64

// verifiedCache remembers tokens that verified, until they expire. It is a
// fixed array of buckets of cacheWays slots, each slot an atomic pointer to
// an immutable entry: a lookup takes no lock, writes nothing but a
// "referenced" mark it finds unset, and allocates nothing, so concurrent
// readers on many cores do not contend. Writers lock a stripe by bucket.
//
// Eviction is CLOCK within a bucket: a hit marks its entry, and an insert
// into a full bucket takes an expired or unmarked slot, clearing the marks
// of the others (a second chance), or, when all were marked, the next slot
// in turn. Entries are found by a seeded 64-bit hash and confirmed by
// comparing the whole token, so a hash collision can only cost a miss,
// never return another token's identity. Failures are never put in it.
type verifiedCache struct {
	seed    maphash.Seed
	buckets uint64
	ways    int
	slots   []atomic.Pointer[cacheEntry]
	hands   []uint8 // per bucket: next slot to evict when all are marked; under its stripe lock
	locks   [cacheStripes]sync.Mutex
}

// cacheEntry is immutable once published, except for ref.
type cacheEntry struct {
	hash      uint64
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
	ways := min(cacheWays, size)
	buckets := size / ways
	return &verifiedCache{
		seed:    maphash.MakeSeed(),
		buckets: uint64(buckets),
		ways:    ways,
		slots:   make([]atomic.Pointer[cacheEntry], buckets*ways),
		hands:   make([]uint8, buckets),
	}
}

// bucket maps a hash onto [0, buckets) by multiply-shift, without a
// division.
func (c *verifiedCache) bucket(h uint64) uint64 {
	return (h >> 32) * c.buckets >> 32
}

// get returns the verified token if it is cached and counts at now.
func (c *verifiedCache) get(token string, now time.Time) *Verified {
	h := maphash.String(c.seed, token)
	base := int(c.bucket(h)) * c.ways
	for i := base; i < base+c.ways; i++ {
		e := c.slots[i].Load()
		if e == nil || e.hash != h || e.token != token {
			continue
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
	return nil
}

// put caches v for token between validFrom and expires. The token is
// copied, so the cache never pins a larger buffer it was sliced from.
func (c *verifiedCache) put(token string, v *Verified, validFrom, expires, now time.Time) {
	h := maphash.String(c.seed, token)
	b := c.bucket(h)
	base := int(b) * c.ways
	t := now.UnixNano()
	mu := &c.locks[b%cacheStripes]
	mu.Lock()
	defer mu.Unlock()

	victim := -1
	for i := base; i < base+c.ways; i++ {
		e := c.slots[i].Load()
		switch {
		case e == nil || e.expires <= t:
			if victim < 0 || c.slots[victim].Load() != nil {
				victim = i // prefer an empty or expired slot
			}
		case e.hash == h && e.token == token:
			return // a concurrent miss got here first
		case !e.ref.Load():
			if victim < 0 {
				victim = i
			}
		}
	}
	if victim < 0 { // all live and marked: second chance for all, evict in turn
		for i := base; i < base+c.ways; i++ {
			c.slots[i].Load().ref.Store(false)
		}
		victim = base + int(c.hands[b])%c.ways
		c.hands[b]++
	} else {
		for i := base; i < base+c.ways; i++ {
			if e := c.slots[i].Load(); i != victim && e != nil {
				e.ref.Store(false)
			}
		}
	}
	c.slots[victim].Store(&cacheEntry{hash: h, token: strings.Clone(token), v: v,
		validFrom: validFrom.UnixNano(), expires: expires.UnixNano()})
}

// len returns the number of cached entries, live or expired.
func (c *verifiedCache) len() int {
	n := 0
	for i := range c.slots {
		if c.slots[i].Load() != nil {
			n++
		}
	}
	return n
}
