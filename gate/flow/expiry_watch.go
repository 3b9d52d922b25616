package flow

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
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
	// adoptEvery is how often a watch sharing its logins through the
	// store takes those that stopped instances handed over.
	adoptEvery = 5 * time.Second
	// adoptBatch bounds the logins taken from the store at a time.
	adoptBatch = 1000
	// adoptTimeout bounds one such take.
	adoptTimeout = 2 * time.Second
)

// ExpiryWatch holds the logins an instance started until their window
// has passed. One watch may outlive the Service that filled it: Services
// given the same watch (WithExpiryWatch) share it, so a login started
// under one configuration is still expired after a reload replaced it.
// Each login is handed to one sweep only. It is safe for concurrent use.
type ExpiryWatch struct {
	mu   sync.Mutex
	due  watchHeap
	open map[string]struct{}
	full bool
	// handover, if set, is where HandOver leaves the watched logins and
	// where Services take those that other instances left.
	handover store.ExpiryHandover
}

type watchedLogin struct {
	id  string
	end time.Time
}

// watchHeap orders watched logins by the end of their window, soonest
// first, since Services sharing a watch may have different windows.
type watchHeap []watchedLogin

func (h watchHeap) Len() int           { return len(h) }
func (h watchHeap) Less(i, j int) bool { return h[i].end.Before(h[j].end) }
func (h watchHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *watchHeap) Push(x any)        { *h = append(*h, x.(watchedLogin)) }
func (h *watchHeap) Pop() any {
	old := *h
	last := old[len(old)-1]
	old[len(old)-1] = watchedLogin{}
	*h = old[:len(old)-1]
	return last
}

// NewExpiryWatch returns an empty watch.
func NewExpiryWatch() *ExpiryWatch {
	return &ExpiryWatch{open: map[string]struct{}{}}
}

// NewSharedExpiryWatch returns an empty watch that outlives its
// instance through h: HandOver leaves its logins in h when the instance
// stops, and the Services using any watch on the same store take them
// (at their start and every few seconds), so a login pending across a
// restart or a scale-down still ends with its login_failed.
func NewSharedExpiryWatch(h store.ExpiryHandover) *ExpiryWatch {
	w := NewExpiryWatch()
	w.handover = h
	return w
}

// HandOver stops watching every login and leaves them in the store the
// watch was made with (NewSharedExpiryWatch) for another instance to
// take; without one it only stops watching. On an error the logins are
// watched no more here either: the instance is stopping.
func (w *ExpiryWatch) HandOver(ctx context.Context) error {
	w.mu.Lock()
	logins := make([]store.WatchedLogin, 0, len(w.open))
	for _, l := range w.due {
		if _, ok := w.open[l.id]; ok {
			logins = append(logins, store.WatchedLogin{ID: l.id, End: l.end})
			delete(w.open, l.id)
		}
	}
	w.due = nil
	w.mu.Unlock()
	if w.handover == nil || len(logins) == 0 {
		return nil
	}
	if err := w.handover.HandOverExpiries(ctx, logins); err != nil {
		return fmt.Errorf("handing over %d pending logins: %w", len(logins), err)
	}
	return nil
}

// adopt takes up to adoptBatch logins other instances handed over and
// watches them.
func (w *ExpiryWatch) adopt(ctx context.Context) error {
	if w.handover == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, adoptTimeout)
	defer cancel()
	logins, err := w.handover.TakeHandedOverExpiries(ctx, adoptBatch)
	for _, l := range logins {
		w.add(l.ID, l.End)
	}
	return err
}

// WithExpiryWatch makes the Service watch its logins in w instead of a
// watch of its own.
func WithExpiryWatch(w *ExpiryWatch) Option {
	return func(s *Service) {
		if w != nil {
			s.watch = w
		}
	}
}

// add watches login id, whose window ends at end.
func (w *ExpiryWatch) add(id string, end time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.open) >= maxWatched {
		w.full = true
		return
	}
	heap.Push(&w.due, watchedLogin{id: id, end: end})
	w.open[id] = struct{}{}
}

// done stops watching id: this instance saw it leave pending.
func (w *ExpiryWatch) done(id string) {
	w.mu.Lock()
	delete(w.open, id)
	w.mu.Unlock()
}

// take hands over the watched logins whose window ended by until,
// soonest first, and reports whether logins went unwatched since the last
// call. A login taken is not watched any more.
func (w *ExpiryWatch) take(until time.Time) (ids []string, overflowed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.due.Len() > 0 && !w.due[0].end.After(until) {
		l := heap.Pop(&w.due).(watchedLogin)
		if _, ok := w.open[l.id]; ok {
			ids = append(ids, l.id)
			delete(w.open, l.id)
		}
	}
	overflowed, w.full = w.full, false
	return ids, overflowed
}

// retry watches ids again, taken and not yet looked at, due at once.
func (w *ExpiryWatch) retry(ids []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		heap.Push(&w.due, watchedLogin{id: id})
		w.open[id] = struct{}{}
	}
}

// WatchExpiries runs until ctx ends, expiring the logins this instance
// started that are still pending a moment after their window: a login
// that neither its browser nor a phone reads again still ends, with one
// login_failed (reason expired), from whichever instance moves it first.
// While the store fails, the logins due wait for the next round. A
// Service sharing its watch with the Service it replaced (WithExpiryWatch)
// expires the logins that one started too. With a shared watch
// (NewSharedExpiryWatch) it also takes, at its start and every
// adoptEvery, the logins stopped instances handed over; otherwise logins
// started before a restart are expired only when next read.
func (s *Service) WatchExpiries(ctx context.Context) {
	t := time.NewTicker(expirySweepEvery)
	defer t.Stop()
	s.adoptHandedOver(ctx)
	lastAdopt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if time.Since(lastAdopt) >= adoptEvery {
				s.adoptHandedOver(ctx)
				lastAdopt = time.Now()
			}
			s.sweepExpired(ctx)
		}
	}
}

// adoptHandedOver watches the logins stopped instances handed over.
func (s *Service) adoptHandedOver(ctx context.Context) {
	if err := s.watch.adopt(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("taking the pending logins stopped instances handed over failed; trying again", zap.Error(err))
	}
}

// sweepExpired expires the watched logins that are due.
func (s *Service) sweepExpired(ctx context.Context) {
	now := s.now()
	ids, overflowed := s.watch.take(now.Add(-expiryGrace))
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
		switch {
		case l.Status == store.LoginPending && now.After(l.ExpiresAt):
			if s.expire(ctx, l).Status == store.LoginPending {
				// The store did not take the move: the next round tries again.
				s.watch.retry([]string{l.ID})
			}
		case l.Status == store.LoginApproved && l.API:
			// An app collects its own logins' tokens, and one that follows
			// the integration guide may wait for webhooks alone: an
			// approval it has not collected is no failure to report.
		case l.Status == store.LoginApproved && now.Before(s.collectBy(l)):
			s.watch.add(l.ID, s.collectBy(l))
		case l.Status == store.LoginApproved:
			s.abandon(ctx, l)
		}
	}
}

// collectBy is when an approved login that its browser has not
// collected ends: before the store lets its record go (its window plus
// Retention), late enough for a browser that pressed continue long after
// approving.
func (s *Service) collectBy(l *store.Login) time.Time {
	return l.ExpiresAt.Add(s.cfg.Retention - min(s.cfg.Retention/2, 30*time.Second))
}

// abandon ends an approved login nobody collected with one login_failed
// (reason not_collected), from the instance whose move wins; a browser
// collecting it at the same moment either gets its session or learns it
// expired, never both.
func (s *Service) abandon(ctx context.Context, l *store.Login) {
	ended, err := s.store.TransitionLogin(ctx, l.ID, store.Transition{
		From: store.LoginApproved, To: store.LoginExpired, Reason: ReasonNotCollected,
	})
	switch {
	case err == nil:
		s.emitFailed(ctx, ended, ReasonNotCollected)
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
	default:
		s.log.Warn("ending an approved login nobody collected failed; trying again", zap.Error(err))
		s.watch.retry([]string{l.ID})
	}
}
