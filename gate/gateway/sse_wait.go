package gateway

import (
	"context"
	"time"

	"github.com/authgate/authgate/gate/live"
)

// Event streams wait for a signal from the instance's live hub (one store
// subscription shared by every stream) and read the store only then, and
// on a slow safety timer in case a signal was lost. While the
// subscription is down they poll instead.
const (
	// loginFallbackEvery and deviceFallbackEvery are how often a browser's
	// and a phone's stream read the store while the hub's subscription is
	// down (the polling intervals of old, the browser's shortened so an
	// approval still reaches it within 100 ms).
	loginFallbackEvery  = 100 * time.Millisecond
	deviceFallbackEvery = 300 * time.Millisecond
	// streamMinWait keeps a timer computed from a deadline just passed
	// from spinning.
	streamMinWait = 10 * time.Millisecond
	// streamRetryPassed is how soon a stream reads again when the
	// deadline it woke for has passed without effect.
	streamRetryPassed = time.Second
)

// streamWaiter is one stream's wait between store reads. It is not safe
// for concurrent use.
type streamWaiter struct {
	g     *Gateway
	s     *sseStream
	watch *live.Watch
	timer *time.Timer
}

// newStreamWaiter starts watch-based waiting for stream s; stop releases it.
func (g *Gateway) newStreamWaiter(s *sseStream, watch *live.Watch) *streamWaiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &streamWaiter{g: g, s: s, watch: watch, timer: t}
}

// stop ends the watch and the timer.
func (w *streamWaiter) stop() {
	w.watch.Stop()
	w.timer.Stop()
}

// wait returns when the stream should read the store again: a change was
// signalled (signalled is true), safety has passed since the call
// (fallback while the hub is down), or deadline (a zero one is none) has
// come. Meanwhile it writes keepalives. ok is false when the client left
// or the stream broke.
func (w *streamWaiter) wait(ctx context.Context, safety, fallback time.Duration, deadline time.Time) (signalled, ok bool) {
	if !w.g.live.Up() {
		safety = fallback
	}
	now := time.Now()
	readAt := now.Add(safety)
	switch {
	case deadline.IsZero():
	case deadline.After(now):
		readAt = earliest(readAt, deadline)
	default:
		// The deadline passed and the last read did not settle it (the
		// store failed): try again in a while, not in a tight loop.
		readAt = earliest(readAt, now.Add(streamRetryPassed))
	}
	for {
		now := time.Now()
		d := min(readAt.Sub(now), sseKeepalive-now.Sub(w.s.last))
		w.timer.Reset(max(d, streamMinWait))
		select {
		case <-ctx.Done():
			w.timer.Stop()
			return false, false
		case <-w.watch.C:
			w.timer.Stop()
			return true, true
		case now = <-w.timer.C:
		}
		if err := w.s.keepalive(now); err != nil {
			return false, false
		}
		if !now.Before(readAt) {
			return false, true
		}
	}
}
