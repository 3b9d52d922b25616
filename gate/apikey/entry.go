package apikey

import (
	"math"
	"sync"
	"time"
)

// seenAddrs is how many client addresses an entry remembers, so that
// api_key_used is considered once per address, not once per request.
const seenAddrs = 8

// touchEvery is how often, at most, one instance records a key's use.
const touchEvery = time.Minute

// entry is one verified key in the cache. v and the fields above mu are
// fixed once the entry is published.
type entry struct {
	raw        string
	v          *Verified
	validUntil int64 // unix nanoseconds

	mu sync.Mutex
	// Token bucket: tokens left at last (unix nanoseconds).
	tokens float64
	last   int64
	// The addresses seen, a ring; and when use was last recorded.
	seen      [seenAddrs]string
	nextSeen  int
	lastTouch int64
}

// limit is a rate of burst requests per window, refilled evenly.
type limit struct {
	burst  float64
	perSec float64 // tokens added per nanosecond × 1e9
}

// allow takes one token from e's bucket at t (unix nanoseconds), or says
// how long until one is there.
func (e *entry) allow(l limit, t int64) (bool, time.Duration) {
	if l.burst <= 0 {
		return true, 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == 0 {
		e.tokens, e.last = l.burst, t
	}
	if t > e.last {
		e.tokens = math.Min(l.burst, e.tokens+float64(t-e.last)*l.perSec/1e9)
		e.last = t
	}
	if e.tokens >= 1 {
		e.tokens--
		return true, 0
	}
	wait := time.Duration((1 - e.tokens) / l.perSec * 1e9)
	return false, max(wait, time.Millisecond)
}

// noteUse records a request from ip at t and reports what the use
// recorder should hear of it: a new address, and whether the last-used
// time is due.
func (e *entry) noteUse(ip string, t int64) (newAddr, touch bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t-e.lastTouch >= int64(touchEvery) {
		e.lastTouch = t
		touch = true
	}
	if ip == "" {
		return false, touch
	}
	for _, s := range e.seen {
		if s == ip {
			return false, touch
		}
	}
	e.seen[e.nextSeen] = ip
	e.nextSeen = (e.nextSeen + 1) % seenAddrs
	return true, touch
}

// forget undoes noteUse's record of ip and of the touch, when the
// recorder could not take the report, so a later request tries again.
func (e *entry) forget(ip string, touch bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range e.seen {
		if s == ip {
			e.seen[i] = ""
		}
	}
	if touch {
		e.lastTouch = 0
	}
}
