package token

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/gate/store"
)

// Retry backoff after a failed resync or a broken subscription: it starts
// at backoffMin and doubles up to backoffMax.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 5 * time.Second
)

// minFetchTimeout is the least time a snapshot load is given.
const minFetchTimeout = 2 * time.Second

// Run keeps the set current until ctx is done, then returns once all its
// work has stopped. It loads the snapshot at once and every ResyncEvery,
// subscribes to revocations and applies each as it arrives, and reloads the
// snapshot whenever the subscription (re)connects, since events may have
// been missed while it was down. Failed loads and broken subscriptions are
// retried with backoff (100 ms doubling to 5 s) and logged at warn.
//
// The caller owns Run: call it once, in its own goroutine. A second call
// while one is running returns at once.
func (r *Revocations) Run(ctx context.Context) {
	if !r.running.CompareAndSwap(false, true) {
		r.log.Warn("revocation sync is already running; ignoring a second Run")
		return
	}
	defer r.running.Store(false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.subscribeLoop(ctx)
	}()
	r.resyncLoop(ctx)
	wg.Wait()
}

// resyncLoop loads the snapshot now, then every ResyncEvery, or sooner when
// kicked; after a failure it retries with backoff.
func (r *Revocations) resyncLoop(ctx context.Context) {
	b := backoff{max: min(backoffMax, r.every)}
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-r.kick:
		}
		err := r.resync(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			wait := b.next()
			r.log.Warn("loading revocations failed; retrying",
				zap.Error(err), zap.Int("attempt", failures), zap.Duration("retry_in", wait))
			r.prune(r.now())
			timer.Reset(wait)
			continue
		}
		if failures > 0 {
			r.log.Info("loading revocations recovered", zap.Int("failed_attempts", failures))
		}
		failures = 0
		b.reset()
		timer.Reset(r.every)
	}
}

// resync merges a fresh snapshot into the set, adopts the store's epoch,
// and writes back to the store what it lacks of the set. The set never
// forgets a revocation because the store did: the store may have
// restarted empty, been flushed, or failed over to a replica without the
// last writes, and the instance that remembers is then the only witness.
func (r *Revocations) resync(ctx context.Context) error {
	epoch := r.subEpoch.Load()
	upAtStart := r.subUp.Load()
	started := r.now()
	// What was known before the fetch is in the store unless the store
	// lost it: every revocation is applied here only after the store took
	// it. Later events may be missing from the snapshot for no fault.
	known := r.state.Load()

	fetchCtx, cancel := context.WithTimeout(ctx, max(minFetchTimeout, r.every))
	snap, err := r.src.Revocations(fetchCtx)
	cancel()
	if err == nil && snap == nil {
		err = errors.New("store returned no snapshot")
	}
	if err != nil {
		return fmt.Errorf("loading revocation snapshot: %w", err)
	}

	// Merging into the state as it is now, under the writers' lock, keeps
	// every event applied while the snapshot was in flight.
	t := r.now().UnixNano()
	r.mu.Lock()
	r.state.Store(r.state.Load().merged(snap, t))
	r.mu.Unlock()
	lost := known.missingFrom(snap, t)
	r.adoptEpoch(snap.Epoch)
	if lost != nil {
		r.writeBack(ctx, lost)
	}

	// The snapshot reflects the store as of some moment after started.
	r.confirm(started)
	if upAtStart && r.subUp.Load() && r.subEpoch.Load() == epoch {
		r.coveredEpoch.Store(epoch)
	}
	r.syncedOnce.Do(func() { close(r.synced) })
	return nil
}

// adoptEpoch makes e the store's epoch, warning when it replaces another:
// the store lost its data, and every token minted before is now refused.
func (r *Revocations) adoptEpoch(e store.Epoch) {
	old := r.epoch.Swap(e.ID)
	if old != 0 && old != e.ID {
		r.log.Warn("the session store lost its data (its epoch marker changed); every session issued before is signed out",
			zap.Int64("old_epoch", old), zap.Int64("new_epoch", e.ID), zap.Time("new_epoch_created", e.CreatedAt))
	}
}

// writeBack restores to the store the revocations it lacks; a failure is
// logged and retried at the next resync, which finds them missing again.
func (r *Revocations) writeBack(ctx context.Context, lost *store.RevocationSnapshot) {
	ctx, cancel := context.WithTimeout(ctx, max(minFetchTimeout, r.every))
	defer cancel()
	if err := r.src.RestoreRevocations(ctx, lost); err != nil {
		r.log.Warn("writing back revocations the store lost failed; retrying at the next resync",
			zap.Error(err), zap.Int("sessions", len(lost.Sessions)), zap.Int("generations", len(lost.Generations)))
		return
	}
	r.log.Warn("the session store had lost revocations; wrote them back",
		zap.Int("sessions", len(lost.Sessions)), zap.Int("generations", len(lost.Generations)))
}

// subscribeLoop keeps a subscription open until ctx is done.
func (r *Revocations) subscribeLoop(ctx context.Context) {
	b := backoff{max: backoffMax}
	failures := 0
	for {
		var established atomic.Bool // ready may run on the store's goroutine
		err := r.src.SubscribeRevocations(ctx, func() {
			established.Store(true)
			r.subUp.Store(true)
			r.subEpoch.Add(1)
			r.kickResync() // events may have been missed while it was down
		}, func(ev store.RevocationEvent) {
			r.Apply(ev)
			if r.subUp.Load() && r.coveredEpoch.Load() == r.subEpoch.Load() {
				r.confirm(r.now())
			}
		})
		if established.Load() {
			r.subUp.Store(false)
			r.subEpoch.Add(1)
			b.reset()
			failures = 0
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := b.next()
		if err == nil {
			err = errors.New("subscription ended")
		}
		r.log.Warn("revocation subscription broke; resubscribing",
			zap.Error(err), zap.Int("attempt", failures), zap.Duration("retry_in", wait))
		if !sleepCtx(ctx, wait) {
			return
		}
	}
}

// kickResync asks the resync loop for a snapshot load now.
func (r *Revocations) kickResync() {
	select {
	case r.kick <- struct{}{}:
	default: // one is already pending
	}
}

// backoff yields backoffMin, doubling up to max.
type backoff struct {
	max time.Duration
	cur time.Duration
}

// next returns the wait before the next attempt.
func (b *backoff) next() time.Duration {
	if b.cur < backoffMin {
		b.cur = backoffMin
	}
	d := min(b.cur, b.max)
	b.cur = min(b.cur*2, b.max)
	return d
}

// reset starts the sequence again.
func (b *backoff) reset() { b.cur = 0 }

// sleepCtx waits d or until ctx is done, reporting whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// prune forgets session revocations that have run out; the resync does
// this too, so it matters only while resyncs fail.
func (r *Revocations) prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Store(r.state.Load().folded(now.UnixNano()))
}
