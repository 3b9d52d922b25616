package webhook

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Isolation of receivers: the outbox is one queue for every endpoint, so
// a worker that claims a delivery for an endpoint already running its
// share of deliveries does not wait on it. It waits a moment for a slot
// (a healthy receiver frees one in milliseconds), then hands the delivery
// back to the outbox for later, unattempted, and claims the next one. A
// receiver that hangs thus holds at most PerEndpoint workers, and the
// others keep delivering.
const (
	// slotWait is how long a worker waits for a busy endpoint's slot.
	slotWait = 50 * time.Millisecond
	// minDefer and maxDefer bound how far a delivery to a busy endpoint
	// is put off: half as long as the endpoint's oldest running delivery
	// has run, so a hung receiver's backlog is not claimed again and
	// again.
	minDefer = 200 * time.Millisecond
	maxDefer = 30 * time.Second
)

// endpointSlots limits how many deliveries run at once to each endpoint.
// It is safe for concurrent use.
type endpointSlots struct {
	limit int
	mu    sync.Mutex
	sems  map[string]chan struct{}
	// running holds the start of each running delivery, by endpoint.
	running map[string][]time.Time
}

func newEndpointSlots(limit int) *endpointSlots {
	return &endpointSlots{limit: limit, sems: make(map[string]chan struct{}), running: make(map[string][]time.Time)}
}

func (s *endpointSlots) sem(id string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	sem, ok := s.sems[id]
	if !ok {
		sem = make(chan struct{}, s.limit)
		s.sems[id] = sem
	}
	return sem
}

// take claims a slot of endpoint id, waiting up to slotWait. It returns
// the delivery's start (for give) and true, or, when none freed in time,
// how long the endpoint's oldest running delivery has run and false.
func (s *endpointSlots) take(ctx context.Context, id string) (time.Time, time.Duration, bool) {
	sem := s.sem(id)
	select {
	case sem <- struct{}{}:
	default:
		t := time.NewTimer(slotWait)
		defer t.Stop()
		select {
		case sem <- struct{}{}:
		case <-t.C:
			return time.Time{}, s.busyFor(id), false
		case <-ctx.Done():
			return time.Time{}, 0, false
		}
	}
	start := time.Now()
	s.mu.Lock()
	s.running[id] = append(s.running[id], start)
	s.mu.Unlock()
	return start, 0, true
}

// give returns the slot taken at start.
func (s *endpointSlots) give(id string, start time.Time) {
	s.mu.Lock()
	r := s.running[id]
	for i, t := range r {
		if t.Equal(start) {
			r = append(r[:i], r[i+1:]...)
			break
		}
	}
	if len(r) == 0 {
		delete(s.running, id)
	} else {
		s.running[id] = r
	}
	sem := s.sems[id]
	s.mu.Unlock()
	<-sem
}

// busyFor returns how long the oldest running delivery to id has run.
func (s *endpointSlots) busyFor(id string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.running[id]
	if len(r) == 0 {
		return 0
	}
	oldest := r[0]
	for _, t := range r[1:] {
		if t.Before(oldest) {
			oldest = t
		}
	}
	return time.Since(oldest)
}

// deferDelay is how far to put off a delivery to an endpoint that has
// been busy for busy.
func deferDelay(busy time.Duration) time.Duration {
	return min(max(busy/2, minDefer), maxDefer)
}

// deliverFair delivers c if its endpoint has a free slot, and otherwise
// hands it back to the outbox, unattempted, for later.
func (d *Dispatcher) deliverFair(ctx context.Context, c outbox.Claim) {
	start, busy, ok := d.slots.take(ctx, c.EndpointID)
	if !ok {
		if ctx.Err() != nil {
			d.putBack(ctx, c)
			return
		}
		d.deferred.Add(1)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := d.ob.Retry(sctx, c, time.Now().Add(deferDelay(busy))); err != nil {
			d.log.Warn("webhook delivery to a busy receiver not handed back; the outbox will reclaim it",
				zap.String("event_id", c.EventID), zap.String("endpoint", c.EndpointID), zap.Error(err))
		}
		return
	}
	defer d.slots.give(c.EndpointID, start)
	d.deliver(ctx, c)
}

// Deferred returns how many claimed deliveries were handed back because
// their receiver was busy with its share of the workers.
func (d *Dispatcher) Deferred() int64 { return d.deferred.Load() }
