// Package deadline wraps a store.Store so that every call made while
// answering a request ends within a fixed time, whatever the caller's
// context allows: a stalled backing store then costs a request that time
// and a 503, not the client library's own timeouts and retries.
//
// Long-lived calls pass through without a deadline: SubscribeLogins,
// SubscribeRevocations (they wait by design), Revocations (the full
// snapshot, loaded in the background under its own timeout) and Close.
package deadline

import (
	"context"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// DefaultTimeout is the deadline Wrap uses for a zero timeout: short
// enough that a request which meets a stalled store answers within a
// second.
const DefaultTimeout = 750 * time.Millisecond

// Store is a store.Store whose calls each end within Timeout. It is safe
// for concurrent use, as the store it wraps.
type Store struct {
	store.Store
	// Timeout bounds each call.
	Timeout time.Duration
}

// Wrap returns st with a deadline of timeout on each call (DefaultTimeout
// if timeout is not positive). Wrapping a wrapped store replaces its
// timeout rather than stacking another.
func Wrap(st store.Store, timeout time.Duration) *Store {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if w, ok := st.(*Store); ok {
		st = w.Store
	}
	return &Store{Store: st, Timeout: timeout}
}

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() store.Store { return s.Store }

// bound returns ctx limited to the store's timeout; an earlier deadline
// of ctx stays.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.Timeout)
}

var _ store.Store = (*Store)(nil)
