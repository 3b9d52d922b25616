package gateway

import (
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// storeFailLogEvery is how often a request failing for the store's sake
// is logged while the store keeps failing.
const storeFailLogEvery = time.Minute

// storeFailLog writes why requests get 503 for the store's sake: the
// store's own error (Redis full, a refused password, a timeout), which
// the answer and the access log do not carry; once a minute while it
// goes on, with the count of the failures left out. The zero value is
// ready to use.
type storeFailLog struct {
	mu      sync.Mutex
	last    time.Time
	skipped int
}

// note logs err for r, unless a line was written within
// storeFailLogEvery.
func (l *storeFailLog) note(log *zap.Logger, r *http.Request, err error, now time.Time) {
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < storeFailLogEvery {
		l.skipped++
		l.mu.Unlock()
		return
	}
	skipped := l.skipped
	l.last, l.skipped = now, 0
	l.mu.Unlock()
	log.Warn("requests get 503: the session store failed (logged once a minute while it fails)",
		zapPath(r), zap.Error(err), zap.Int("failed_since_last_line", skipped))
}
