package webhook

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryLog is a DeliveryLog in this instance's memory, the default.
type MemoryLog struct {
	keep int
	ttl  time.Duration

	mu     sync.Mutex
	recent map[string][]*EventRecord // per endpoint, oldest first
}

// NewMemoryLog returns a MemoryLog that keeps keep events per endpoint
// (0 means DefaultLogEvents), each for ttl (0 means DefaultLogTTL).
func NewMemoryLog(keep int, ttl time.Duration) *MemoryLog {
	if keep <= 0 {
		keep = DefaultLogEvents
	}
	if ttl <= 0 {
		ttl = DefaultLogTTL
	}
	return &MemoryLog{keep: keep, ttl: ttl, recent: make(map[string][]*EventRecord)}
}

// Apply records changes; it never fails.
func (l *MemoryLog) Apply(_ context.Context, changes []LogChange) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range changes {
		l.applyLocked(c)
	}
	return nil
}

func (l *MemoryLog) applyLocked(c LogChange) {
	at := c.At
	if c.Kind == ChangeAttempted {
		at = c.Attempt.At
	}
	r := l.recordLocked(c, at)
	switch c.Kind {
	case ChangeEnqueued:
		if r.UpdatedAt.After(at) || len(r.Attempts) > 0 && !r.Attempts[len(r.Attempts)-1].At.Before(at) {
			return
		}
		r.State, r.UpdatedAt = StatePending, at
	case ChangeAttempted:
		if len(r.Attempts) == MaxAttemptsKept {
			r.Attempts = slices.Delete(r.Attempts, 0, 1)
		}
		r.Attempts = append(r.Attempts, c.Attempt)
		r.State, r.UpdatedAt = c.State, at
	case ChangeGaveUp:
		r.State = StateDead
	}
}

// recordLocked returns the record of c's delivery, making it if needed,
// and drops records beyond the count or age limits.
func (l *MemoryLog) recordLocked(c LogChange, now time.Time) *EventRecord {
	d := c.Delivery
	list := l.recent[d.EndpointID]
	for _, r := range slices.Backward(list) {
		if r.EventID == d.EventID {
			return r
		}
	}
	r := &EventRecord{EventID: d.EventID, EventType: d.EventType, EndpointID: d.EndpointID,
		State: StatePending, UpdatedAt: now, Body: d.Body}
	list = append(list, r)
	cut := 0
	for cut < len(list) && (len(list)-cut > l.keep || now.Sub(list[cut].UpdatedAt) > l.ttl) {
		cut++
	}
	l.recent[d.EndpointID] = slices.Clone(list[cut:])
	return r
}

// Records returns copies of the records q selects, newest first.
func (l *MemoryLog) Records(_ context.Context, q LogQuery) ([]EventRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []EventRecord
	for _, id := range q.EndpointIDs {
		for _, r := range slices.Backward(l.recent[id]) {
			if q.EventID == "" || r.EventID == q.EventID {
				c := *r
				c.Attempts = slices.Clone(r.Attempts)
				if !q.Body {
					c.Body = nil
				}
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b EventRecord) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out, nil
}

// Forget drops the records of endpointID.
func (l *MemoryLog) Forget(_ context.Context, endpointID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.recent, endpointID)
	return nil
}

var _ DeliveryLog = (*MemoryLog)(nil)
