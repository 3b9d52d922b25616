package webhook

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// DefaultSpillCapacity bounds the deliveries held in memory while a
// shared outbox is unreachable.
const DefaultSpillCapacity = 10000

// spill holds, in order, deliveries that a shared outbox could not take
// (its Redis unreachable or slow) until it can again, so an outage delays
// events instead of losing them. It is bounded: past its capacity a
// delivery is refused, logged and counted, never silently dropped.
type spill struct {
	mu    sync.Mutex
	items []outbox.Delivery
	cap   int
}

// add keeps d; false when full.
func (s *spill) add(d outbox.Delivery) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) >= s.cap {
		return false
	}
	s.items = append(s.items, d)
	return true
}

// len returns how many deliveries wait.
func (s *spill) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.items)
}

// drain hands waiting deliveries to ob in order, stopping at the first
// refusal; it returns how many went.
func (s *spill) drain(ctx context.Context, ob outbox.Outbox, timeout time.Duration) (int, error) {
	n := 0
	for {
		s.mu.Lock()
		if len(s.items) == 0 {
			s.mu.Unlock()
			return n, nil
		}
		d := s.items[0]
		s.mu.Unlock()
		ectx, cancel := context.WithTimeout(ctx, timeout)
		err := ob.Enqueue(ectx, d)
		cancel()
		if err != nil {
			return n, err
		}
		s.mu.Lock()
		s.items = s.items[1:]
		if len(s.items) == 0 {
			s.items = nil
		}
		s.mu.Unlock()
		n++
	}
}

// drainSpill moves spilled deliveries to the outbox every interval until
// ctx ends.
func (d *Dispatcher) drainSpill(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if d.spill.len() == 0 {
			continue
		}
		n, err := d.spill.drain(ctx, d.ob, d.cfg.EnqueueTimeout)
		if n > 0 {
			d.log.Info("webhook outbox reachable again; held deliveries handed over", zap.Int("count", n))
		}
		if err != nil && ctx.Err() == nil {
			if ce := d.log.Check(zap.DebugLevel, "webhook outbox still unreachable"); ce != nil {
				ce.Write(zap.Int("held", d.spill.len()), zap.Error(err))
			}
		}
	}
}

// Held returns how many deliveries wait in memory for the outbox.
func (d *Dispatcher) Held() int { return d.spill.len() }
