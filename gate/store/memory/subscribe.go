package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// subscriber is one SubscribeRevocations call. events is closed when the
// subscription is dropped; err, set before that, says why.
type subscriber struct {
	events chan store.RevocationEvent
	err    error
}

// SubscribeRevocations calls fn for each revocation made on this Store
// from now on. Only this instance's revocations exist: a memory store is
// not shared between processes.
//
// A subscriber that falls more than a bounded number of events behind is
// dropped rather than allowed to slow RevokeSession down: the call then
// returns an error after delivering what was queued, and the caller should
// resync from Revocations and subscribe again. It also returns an error
// wrapping store.ErrUnavailable when the store closes, and ctx.Err() when
// ctx ends.
func (s *Store) SubscribeRevocations(ctx context.Context, ready func(), fn func(store.RevocationEvent)) error {
	s.mu.Lock()
	if err := s.usable(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	sub := &subscriber{events: make(chan store.RevocationEvent, subscriberBuffer)}
	s.subscribers[sub] = struct{}{}
	s.mu.Unlock()

	ready()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			delete(s.subscribers, sub)
			s.mu.Unlock()
			return ctx.Err()
		case ev, ok := <-sub.events:
			if !ok {
				return sub.err
			}
			fn(ev)
		}
	}
}

// publishLocked hands ev to every subscriber without blocking, dropping
// those whose buffer is full. The caller holds s.mu.
func (s *Store) publishLocked(ev store.RevocationEvent) {
	for sub := range s.subscribers {
		select {
		case sub.events <- ev:
		default:
			s.dropLocked(sub, errors.New("memory store: revocation subscriber fell behind; resync and subscribe again"))
		}
	}
}

// dropLocked ends sub's subscription with err. The caller holds s.mu.
func (s *Store) dropLocked(sub *subscriber, err error) {
	sub.err = fmt.Errorf("subscribing to revocations: %w", err)
	close(sub.events)
	delete(s.subscribers, sub)
}
