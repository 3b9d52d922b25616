package memory

import (
	"context"
	"errors"
	"fmt"

	"github.com/authgate/authgate/gate/store"
)

// loginSubscriber is one SubscribeLogins call. changes is closed when the
// subscription is dropped; err, set before that, says why.
type loginSubscriber struct {
	changes chan store.LoginChange
	err     error
}

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
	sub := &loginSubscriber{changes: make(chan store.LoginChange, subscriberBuffer)}
	s.loginSubscribers[sub] = struct{}{}
	s.mu.Unlock()

	ready()
	for {
		select {
		case <-ctx.Done():
			s.mu.Lock()
			delete(s.loginSubscribers, sub)
			s.mu.Unlock()
			return ctx.Err()
		case c, ok := <-sub.changes:
			if !ok {
				return sub.err
			}
			fn(c)
		}
	}
}

// publishLoginLocked hands c to every login subscriber without blocking,
// dropping those whose buffer is full. The caller holds s.mu.
func (s *Store) publishLoginLocked(c store.LoginChange) {
	for sub := range s.loginSubscribers {
		select {
		case sub.changes <- c:
		default:
			s.dropLoginLocked(sub, errors.New("memory store: login subscriber fell behind; read again and subscribe again"))
		}
	}
}

// dropLoginLocked ends sub's subscription with err. The caller holds s.mu.
func (s *Store) dropLoginLocked(sub *loginSubscriber, err error) {
	sub.err = fmt.Errorf("subscribing to logins: %w", err)
	close(sub.changes)
	delete(s.loginSubscribers, sub)
}
