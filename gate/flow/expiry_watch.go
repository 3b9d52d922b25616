package flow

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/store"
)

// Expiry sweeping: a login whose browser and phone both went away is
// otherwise expired only when someone reads it again, so its login_failed
// would never be sent.
const (
	// expirySweepEvery is how often the watch looks for logins due.
	expirySweepEvery = time.Second
	// expiryGrace is how long after its window a login is left to the
	// browser's own check, which expires it as it answers.
	expiryGrace = 2 * time.Second
	// maxWatched bounds the logins one instance watches: at 10,000
	// starts a second for two minutes, a little over a million. Past it,
	// a login is expired when next read, as without the watch.
	maxWatched = 1 << 21
)

// expiryWatch holds the logins this instance started until their window
// has passed. Every login of a Service has the same window, so start
// order is expiry order and the front of the queue is due first.
type expiryWatch struct {
	mu    sync.Mutex
	queue []watchedLogin
	open  map[string]struct{}
	full  bool
}

type watchedLogin struct {
	id  string
	end time.Time
}

func newExpiryWatch() *expiryWatch {
	return &expiryWatch{open: map[string]struct{}{}}
}

// add watches login id, whose window ends at end.
func (w *expiryWatch) add(id string, end time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open) >= maxWatched {
		w.full = true
		return
	}
	w.queue = append(w.queue, watchedLogin{id: id, end: end})
	w.open[id] = struct{}{}
}

// done stops watching id: this instance saw it leave pending.
func (w *expiryWatch) done(id string) {
	w.mu.Lock()
	delete(w.open, id)
	w.mu.Unlock()
}

// due takes the watched logins whose window ended by until, oldest first,
// and reports whether logins went unwatched since the last call.
func (w *expiryWatch) due(until time.Time) (ids []string, overflowed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for n < len(w.queue) && !w.queue[n].end.After(until) {
		if _, ok := w.open[w.queue[n].id]; ok {
			ids = append(ids, w.queue[n].id)
			delete(w.open, w.queue[n].id)
		}
		w.queue[n] = watchedLogin{}
		n++
	}
	w.queue = w.queue[n:]
	overflowed, w.full = w.full, false
	return ids, overflowed
}

// retry puts ids, taken by due and not yet looked at, back at the front,
// due at once.
func (w *expiryWatch) retry(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	back := make([]watchedLogin, 0, len(ids)+len(w.queue))
	for _, id := range ids {
		back = append(back, watchedLogin{id: id})
		w.open[id] = struct{}{}
	}
	w.queue = append(back, w.queue...)
}

// WatchExpiries runs until ctx ends, expiring the logins this instance
// started that are still pending a moment after their window: a login
// that neither its browser nor a phone reads again still ends, with one
// login_failed (reason expired), from whichever instance moves it first.
// While the store fails, the logins due wait for the next round. Logins
// started before a restart or a reload are not watched by the new
// Service; they are expired when next read.
func (s *Service) WatchExpiries(ctx context.Context) {
	t := time.NewTicker(expirySweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepExpired(ctx)
		}
	}
}

// sweepExpired expires the watched logins that are due.
func (s *Service) sweepExpired(ctx context.Context) {
	now := s.now()
	ids, overflowed := s.watch.due(now.Add(-expiryGrace))
	if overflowed {
		s.log.Warn("too many logins pending to watch them all; the others are expired when next read", zap.Int("watched", maxWatched))
	}
	for i, id := range ids {
		if ctx.Err() != nil {
			s.watch.retry(ids[i:])
			return
		}
		l, err := s.store.GetLogin(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			s.log.Warn("reading a login to expire it failed; trying again", zap.Error(err))
			s.watch.retry(ids[i:])
			return
		}
		if l.Status == store.LoginPending && now.After(l.ExpiresAt) {
			s.expire(ctx, l)
		}
	}
}
