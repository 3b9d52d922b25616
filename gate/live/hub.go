// Package live tells the event streams waiting on one instance that a
// login or device they watch has changed, from one store subscription
// per instance (store.Logins.SubscribeLogins) instead of one poll per
// stream. A stream still reads the store itself: a signal only says
// "read again now". While the subscription is down the hub says so
// (Up), and streams fall back to polling.
package live

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/store"
)

// Backoff bounds between attempts to subscribe again.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// Source is what a Hub subscribes to.
type Source interface {
	SubscribeLogins(ctx context.Context, ready func(), fn func(store.LoginChange)) error
}

// Hub fans one subscription out to many watches. It is safe for
// concurrent use; Run must be running for watches to be signalled.
type Hub struct {
	src Source
	log *zap.Logger
	up  atomic.Bool

	mu      sync.Mutex
	byKey   map[string]map[*Watch]struct{} // "l:"+id, "u:"+email, "d:"+device id
	watches map[*Watch]struct{}
}

// New returns a hub on src; log may be nil.
func New(src Source, log *zap.Logger) *Hub {
	if log == nil {
		log = zap.NewNop()
	}
	return &Hub{src: src, log: log, byKey: make(map[string]map[*Watch]struct{}), watches: make(map[*Watch]struct{})}
}

// Watch is one stream's interest: a set of login ids, an email and a
// device id. C receives a value (at most one is queued) whenever any of
// them changes, and whenever the subscription is established again
// (changes may have been missed while it was down).
type Watch struct {
	// C signals that the watched records should be read again.
	C    <-chan struct{}
	c    chan struct{}
	hub  *Hub
	keys []string
}

// Watch starts a watch on email's new logins and on device (either may be
// empty), and on the login ids given later with SetLogins. Stop ends it.
func (h *Hub) Watch(email, device string, logins ...string) *Watch {
	c := make(chan struct{}, 1)
	w := &Watch{C: c, c: c, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.watches[w] = struct{}{}
	if email != "" {
		w.addLocked("u:" + email)
	}
	if device != "" {
		w.addLocked("d:" + device)
	}
	for _, id := range logins {
		w.addLocked("l:" + id)
	}
	return w
}

// SetLogins replaces the login ids w watches; its email and device stay.
func (w *Watch) SetLogins(ids []string) {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := w.keys[:0]
	for _, k := range w.keys {
		if k[0] == 'l' {
			h.removeLocked(k, w)
			continue
		}
		kept = append(kept, k)
	}
	w.keys = kept
	for _, id := range ids {
		w.addLocked("l:" + id)
	}
}

// Stop ends the watch; C is never signalled again.
func (w *Watch) Stop() {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range w.keys {
		h.removeLocked(k, w)
	}
	w.keys = nil
	delete(h.watches, w)
}

func (w *Watch) addLocked(key string) {
	set, ok := w.hub.byKey[key]
	if !ok {
		set = make(map[*Watch]struct{})
		w.hub.byKey[key] = set
	}
	set[w] = struct{}{}
	w.keys = append(w.keys, key)
}

func (h *Hub) removeLocked(key string, w *Watch) {
	set := h.byKey[key]
	delete(set, w)
	if len(set) == 0 {
		delete(h.byKey, key)
	}
}

// signal queues one wake-up on w without blocking.
func (w *Watch) signal() {
	select {
	case w.c <- struct{}{}:
	default: // one is queued already
	}
}

// Up reports whether the subscription stands, so that signals arrive.
func (h *Hub) Up() bool { return h.up.Load() }

// Watching returns how many watches are open.
func (h *Hub) Watching() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watches)
}

// deliver signals every watch that c concerns.
func (h *Hub) deliver(c store.LoginChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, key := range [...]string{"l:" + c.ID, "u:" + c.Email, "d:" + c.DeviceID} {
		if len(key) == 2 {
			continue // that field is empty
		}
		for w := range h.byKey[key] {
			w.signal()
		}
	}
}

// signalAll wakes every watch.
func (h *Hub) signalAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watches {
		w.signal()
	}
}

// Run keeps the subscription open until ctx is done, subscribing again
// with backoff when it breaks.
func (h *Hub) Run(ctx context.Context) {
	wait := time.Duration(0)
	for {
		var established atomic.Bool // ready may run on the store's goroutine
		err := h.src.SubscribeLogins(ctx, func() {
			established.Store(true)
			h.up.Store(true)
			h.signalAll()
		}, h.deliver)
		h.up.Store(false)
		if ctx.Err() != nil {
			return
		}
		if established.Load() {
			wait = 0
		}
		wait = min(max(wait*2, backoffMin), backoffMax)
		if err == nil {
			err = errors.New("subscription ended")
		}
		h.log.Warn("login change subscription broke; streams poll until it is back",
			zap.Error(err), zap.Duration("retry_in", wait))
		h.signalAll() // streams switch to polling
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
