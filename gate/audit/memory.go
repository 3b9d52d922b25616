package audit

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Ring is the memory Trail of one instance: a bounded ring that keeps at
// most MaxEntries entries, each for at most Retention.
type Ring struct {
	limits Limits
	now    func() time.Time

	mu    sync.Mutex
	buf   []Entry // ring storage, len == cap once full
	start int     // index of the oldest entry
	n     int     // number of entries held
	seq   uint64  // last ID given
}

// NewRing returns an empty ring with limits (zero values: the defaults).
func NewRing(limits Limits) *Ring {
	return &Ring{limits: limits.WithDefaults(), now: time.Now}
}

// SetLimits changes the ring's limits (a reloaded config may change
// them); a smaller size cap drops the oldest entries at once.
func (r *Ring) SetLimits(limits Limits) {
	limits = limits.WithDefaults()
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := make([]Entry, 0, min(r.n, limits.MaxEntries))
	for i := max(0, r.n-limits.MaxEntries); i < r.n; i++ {
		kept = append(kept, r.buf[(r.start+i)%len(r.buf)])
	}
	r.limits, r.buf, r.start, r.n = limits, kept, 0, len(kept)
	r.trimLocked()
}

// Append adds entries, oldest first.
func (r *Ring) Append(_ context.Context, entries ...Entry) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	max := r.limits.MaxEntries
	for _, e := range entries {
		r.seq++
		e.ID = strconv.FormatUint(r.seq, 10)
		if len(r.buf) < max {
			r.buf = append(r.buf, e)
			r.n++
			continue
		}
		r.buf[r.start] = e
		r.start = (r.start + 1) % max
	}
	r.trimLocked()
	return nil
}

// trimLocked drops entries older than the retention from the front.
func (r *Ring) trimLocked() {
	cutoff := r.now().Add(-r.limits.Retention)
	for r.n > 0 && r.buf[r.start].Time.Before(cutoff) {
		r.buf[r.start] = Entry{}
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	if r.n == 0 {
		r.buf, r.start = r.buf[:0], 0
	} else if r.n < len(r.buf) {
		// Compact, so that appends after a trim keep the ring simple.
		kept := make([]Entry, 0, r.n)
		for i := 0; i < r.n; i++ {
			kept = append(kept, r.buf[(r.start+i)%len(r.buf)])
		}
		r.buf, r.start = kept, 0
	}
}

// List returns entries matching q, newest first.
func (r *Ring) List(_ context.Context, q Query) (Page, error) {
	if err := q.Normalize(); err != nil {
		return Page{}, err
	}
	var before uint64
	if q.Before != "" {
		b, err := strconv.ParseUint(q.Before, 10, 64)
		if err != nil {
			return Page{}, fmt.Errorf("%w: before is not an entry id", ErrBadQuery)
		}
		before = b
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.trimLocked()
	page := Page{Entries: []Entry{}}
	for i := r.n - 1; i >= 0; i-- {
		e := r.buf[(r.start+i)%len(r.buf)]
		if before != 0 {
			if id, _ := strconv.ParseUint(e.ID, 10, 64); id >= before {
				continue
			}
		}
		if !q.Match(&e) {
			continue
		}
		if len(page.Entries) == q.Limit {
			page.Next = page.Entries[len(page.Entries)-1].ID
			break
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}
