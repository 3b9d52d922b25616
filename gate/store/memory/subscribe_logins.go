package memory

import (
	"context"

	"github.com/authgate/authgate/gate/store"
)

// SubscribeLogins calls fn for each login created or moved to another
// status on this Store, and each device deleted, from now on. Only this
// instance's changes exist: a memory store is not shared between
// processes.
//
// A subscriber that falls more than a bounded number of changes behind is
// dropped rather than allowed to slow the store down: the call then
// returns an error after delivering what was queued, and the caller should
// read again what it watches and subscribe again. It also returns an error
// wrapping store.ErrUnavailable when the store closes, and ctx.Err() when
// ctx ends.
func (s *Store) SubscribeLogins(ctx context.Context, ready func(), fn func(store.LoginChange)) error {
	s.mu.Lock()
	if err := s.usable(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	return s.loginSubs.subscribe(ctx, &s.mu, ready, fn)
}
