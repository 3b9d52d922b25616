// Package memory is the in-process store.Store: maps behind one mutex,
// for a single gateway instance with nothing to install. Everything it
// holds is lost when the process ends.
//
// Lifetimes are enforced on every read, and a janitor goroutine owned by
// the store sweeps out what has expired so that memory stays bounded even
// for keys nobody reads again.
package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/authgate/authgate/gate/store"
)

// janitorInterval is how often the janitor sweeps expired records.
const janitorInterval = 10 * time.Second

// subscriberBuffer is how many revocations a subscriber may lag behind
// before its subscription is dropped.
const subscriberBuffer = 256

// timed is a value with the instant it stops being live.
type timed[T any] struct {
	v     T
	until time.Time
}

// live reports whether the value is still live at now.
func (e timed[T]) live(now time.Time) bool { return now.Before(e.until) }

// Store is an in-memory store.Store. It is safe for concurrent use; the
// zero value is not usable, call New.
type Store struct {
	mu     sync.Mutex
	closed bool

	logins  map[string]timed[*store.Login]
	pending map[string]timed[string] // email → login id
	enrolls map[string]timed[string] // token hash → email

	devices     map[string]*store.Device
	userDevices map[string]map[string]struct{} // email → device ids

	sessions     map[string]*store.Session
	userSessions map[string]map[string]struct{} // email → session ids
	revoked      map[string]time.Time           // session id → until
	generations  map[string]int64
	epoch        store.Epoch // written by New: a memory store never outlives its data
	// revocationSubs and loginSubs are the SubscribeRevocations and
	// SubscribeLogins calls.
	revocationSubs fanout[store.RevocationEvent]
	loginSubs      fanout[store.LoginChange]

	hits  map[string]timed[int64]
	marks map[string]time.Time

	apiKeys     map[string]*store.APIKey
	userAPIKeys map[string]map[string]struct{} // email → key ids
	recovery    map[string]map[string]struct{} // email → unused code hashes

	stop    chan struct{}
	stopped chan struct{}
}

// New returns an empty store and starts its janitor; Close stops it.
func New() *Store {
	s := &Store{
		logins:         make(map[string]timed[*store.Login]),
		pending:        make(map[string]timed[string]),
		enrolls:        make(map[string]timed[string]),
		devices:        make(map[string]*store.Device),
		userDevices:    make(map[string]map[string]struct{}),
		sessions:       make(map[string]*store.Session),
		userSessions:   make(map[string]map[string]struct{}),
		revoked:        make(map[string]time.Time),
		generations:    make(map[string]int64),
		epoch:          store.NewEpoch(time.Now()),
		revocationSubs: newFanout[store.RevocationEvent]("revocations"),
		loginSubs:      newFanout[store.LoginChange]("logins"),
		hits:           make(map[string]timed[int64]),
		marks:          make(map[string]time.Time),
		apiKeys:        make(map[string]*store.APIKey),
		userAPIKeys:    make(map[string]map[string]struct{}),
		recovery:       make(map[string]map[string]struct{}),
		stop:           make(chan struct{}),
		stopped:        make(chan struct{}),
	}
	go s.janitor()
	return s
}

// Ping reports an error wrapping store.ErrUnavailable once the store is
// closed, and nil before.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usable(ctx)
}

// Close stops the janitor and waits for it to end, ends every revocation
// subscription with an error, and makes every later call fail with an
// error wrapping store.ErrUnavailable. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.revocationSubs.closeLocked(fmt.Errorf("memory store: closed: %w", store.ErrUnavailable))
	s.loginSubs.closeLocked(fmt.Errorf("memory store: closed: %w", store.ErrUnavailable))
	s.mu.Unlock()
	close(s.stop)
	<-s.stopped
	return nil
}

// usable returns why a call cannot proceed: the store is closed or ctx has
// ended. The caller holds s.mu.
func (s *Store) usable(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("memory store: closed: %w", store.ErrUnavailable)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory store: %w", err)
	}
	return nil
}

// janitor sweeps expired records every janitorInterval until Close.
func (s *Store) janitor() {
	defer close(s.stopped)
	tick := time.NewTicker(janitorInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.sweep(time.Now())
		}
	}
}

// sweep deletes every record that is no longer live at now.
func (s *Store) sweep(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sweepTimed(s.logins, now)
	sweepTimed(s.pending, now)
	sweepTimed(s.enrolls, now)
	sweepTimed(s.hits, now)
	for k, until := range s.marks {
		if !now.Before(until) {
			delete(s.marks, k)
		}
	}
	for id, until := range s.revoked {
		if !now.Before(until) {
			delete(s.revoked, id)
		}
	}
	for id, sess := range s.sessions {
		if !now.Before(sess.ExpiresAt) {
			s.deleteSessionLocked(id)
		}
	}
	s.sweepAPIKeysLocked(now)
}

// sweepTimed deletes the entries of m that are not live at now.
func sweepTimed[T any](m map[string]timed[T], now time.Time) {
	for k, e := range m {
		if !e.live(now) {
			delete(m, k)
		}
	}
}

// addIndex records id under key in an index of sets.
func addIndex(idx map[string]map[string]struct{}, key, id string) {
	set, ok := idx[key]
	if !ok {
		set = make(map[string]struct{})
		idx[key] = set
	}
	set[id] = struct{}{}
}

// removeIndex forgets id under key, and the key once its set is empty.
func removeIndex(idx map[string]map[string]struct{}, key, id string) {
	set := idx[key]
	delete(set, id)
	if len(set) == 0 {
		delete(idx, key)
	}
}

var _ store.Store = (*Store)(nil)
