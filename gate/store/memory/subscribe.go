package memory

import (
	"context"

	"github.com/authgate/authgate/gate/store"
)

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
	return s.revocationSubs.subscribe(ctx, &s.mu, ready, fn)
}
