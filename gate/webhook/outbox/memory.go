package outbox

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// DefaultCapacity bounds a Memory outbox whose capacity is not given.
const DefaultCapacity = 10000

// Memory is an Outbox held in this process: bounded, lost on exit. When
// full it refuses new deliveries (never retries of accepted ones), logs at
// warn and counts them in Dropped.
type Memory struct {
	capacity int
	log      *zap.Logger
	dropped  atomic.Int64
	notify   chan struct{} // one pending wake-up for waiting claimers

	mu       sync.Mutex
	ready    []Delivery // FIFO; ready[head:] are live
	head     int
	retries  retryHeap
	inflight map[string]Delivery
	seq      uint64
	dead     []Dead // ring of the newest MaxDeadLetters
	deadNext int
}

// NewMemory returns an empty Memory outbox holding at most capacity
// deliveries (due, scheduled and claimed together); capacity <= 0 means
// DefaultCapacity. log may be nil.
func NewMemory(capacity int, log *zap.Logger) *Memory {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Memory{
		capacity: capacity,
		log:      log,
		notify:   make(chan struct{}, 1),
		inflight: make(map[string]Delivery),
	}
}

// Dropped returns how many deliveries Enqueue refused because the outbox
// was full, since it was made.
func (m *Memory) Dropped() int64 { return m.dropped.Load() }

// Enqueue adds d to the due deliveries, or refuses it with ErrFull.
func (m *Memory) Enqueue(_ context.Context, d Delivery) error {
	m.mu.Lock()
	if len(m.ready)-m.head+len(m.retries)+len(m.inflight) >= m.capacity {
		m.mu.Unlock()
		n := m.dropped.Add(1)
		if n == 1 || n%1000 == 0 { // say so without flooding the log
			m.log.Warn("webhook outbox full: delivery dropped",
				zap.String("event_id", d.EventID), zap.String("endpoint", d.EndpointID),
				zap.Int("capacity", m.capacity), zap.Int64("dropped_total", n))
		}
		return fmt.Errorf("enqueueing %s for %s: %w", d.EventID, d.EndpointID, ErrFull)
	}
	m.ready = append(m.ready, d)
	m.mu.Unlock()
	m.wake()
	return nil
}

func (m *Memory) wake() {
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// Claim returns the oldest due delivery, waiting for one until ctx is done.
func (m *Memory) Claim(ctx context.Context, _ string) (Claim, error) {
	for {
		m.mu.Lock()
		c, ok, next := m.takeLocked(time.Now())
		more := len(m.ready) > m.head
		m.mu.Unlock()
		if ok {
			if more {
				m.wake() // pass the wake-up on to the next waiting claimer
			}
			return c, nil
		}
		if err := m.wait(ctx, next); err != nil {
			return Claim{}, err
		}
	}
}

// wait returns when a claimer should look again: on a wake-up, at next
// (unless zero), or with ctx.Err() when ctx is done.
func (m *Memory) wait(ctx context.Context, next time.Time) error {
	var timer <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(time.Until(next))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-m.notify:
	case <-timer:
	}
	return nil
}

// takeLocked takes a due retry or the oldest ready delivery; if there is
// none it returns the time the next retry falls due (zero if none).
func (m *Memory) takeLocked(now time.Time) (Claim, bool, time.Time) {
	var d Delivery
	switch {
	case len(m.retries) > 0 && !m.retries[0].at.After(now):
		d = heap.Pop(&m.retries).(retryItem).d
	case len(m.ready) > m.head:
		d = m.ready[m.head]
		m.ready[m.head] = Delivery{}
		m.head++
		if m.head == len(m.ready) {
			m.ready, m.head = m.ready[:0], 0
		} else if m.head > 1024 && m.head*2 > len(m.ready) {
			m.ready = append(m.ready[:0], m.ready[m.head:]...)
			m.head = 0
		}
	default:
		var next time.Time
		if len(m.retries) > 0 {
			next = m.retries[0].at
		}
		return Claim{}, false, next
	}
	m.seq++
	receipt := strconv.FormatUint(m.seq, 10)
	m.inflight[receipt] = d
	return Claim{Delivery: d, Receipt: receipt}, true, time.Time{}
}

// settleLocked forgets the claim; false if it was not outstanding.
func (m *Memory) settleLocked(c Claim) bool {
	if _, ok := m.inflight[c.Receipt]; !ok {
		return false
	}
	delete(m.inflight, c.Receipt)
	return true
}

// Ack forgets a delivered claim.
func (m *Memory) Ack(_ context.Context, c Claim) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.settleLocked(c) {
		return fmt.Errorf("acking %s: claim %q not outstanding", c.EventID, c.Receipt)
	}
	return nil
}

// Retry schedules c.Delivery again at at. Retries are never refused for
// want of capacity.
func (m *Memory) Retry(_ context.Context, c Claim, at time.Time) error {
	m.mu.Lock()
	if !m.settleLocked(c) {
		m.mu.Unlock()
		return fmt.Errorf("retrying %s: claim %q not outstanding", c.EventID, c.Receipt)
	}
	heap.Push(&m.retries, retryItem{at: at, d: c.Delivery})
	m.mu.Unlock()
	m.wake()
	return nil
}

// DeadLetter settles c and keeps it among the newest dead letters.
func (m *Memory) DeadLetter(_ context.Context, c Claim, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.settleLocked(c) {
		return fmt.Errorf("dead-lettering %s: claim %q not outstanding", c.EventID, c.Receipt)
	}
	dl := Dead{Delivery: c.Delivery, Reason: reason, At: time.Now()}
	if len(m.dead) < MaxDeadLetters {
		m.dead = append(m.dead, dl)
	} else {
		m.dead[m.deadNext] = dl
	}
	m.deadNext = (m.deadNext + 1) % MaxDeadLetters
	return nil
}

// DeadLetters returns up to max of the newest dead letters, newest first.
func (m *Memory) DeadLetters(_ context.Context, max int) ([]Dead, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(max, len(m.dead))
	out := make([]Dead, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, m.dead[(m.deadNext-i+len(m.dead)*2)%len(m.dead)])
	}
	return out, nil
}

// Depth returns how many deliveries are due, scheduled or claimed.
func (m *Memory) Depth(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.ready) - m.head + len(m.retries) + len(m.inflight)), nil
}

type retryItem struct {
	at time.Time
	d  Delivery
}

// retryHeap orders scheduled retries by due time.
type retryHeap []retryItem

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(retryItem)) }
func (h *retryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = retryItem{}
	*h = old[:len(old)-1]
	return it
}

var _ Outbox = (*Memory)(nil)
