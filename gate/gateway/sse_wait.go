package gateway

import "time"

// Event streams wait for a signal from the instance's live hub (one store
// subscription shared by every stream) and read the store only then, and
// on a slow safety timer in case a signal was lost. While the
// subscription is down they poll instead.
const (
	// streamFallbackEvery is how often a stream reads the store while
	// the hub's subscription is down.
	streamFallbackEvery = 100 * time.Millisecond
	// streamMinWait keeps a timer computed from a deadline just passed
	// from spinning.
	streamMinWait = 10 * time.Millisecond
)

// streamWait returns how long a stream may sleep before its next safety
// read: safety while signals arrive, streamFallbackEvery when they do
// not, and never past deadline (a zero deadline is none) or the stream's
// next keepalive.
func (g *Gateway) streamWait(s *sseStream, safety time.Duration, deadline time.Time) time.Duration {
	now := time.Now()
	d := safety
	if !g.live.Up() {
		d = streamFallbackEvery
	}
	if !deadline.IsZero() {
		d = min(d, deadline.Sub(now))
	}
	d = min(d, sseKeepalive-now.Sub(s.last))
	return max(d, streamMinWait)
}
