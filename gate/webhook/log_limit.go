package webhook

import (
	"sync"
	"time"
)

// logLimitEvery is how often one key's repeated log line is written.
const logLimitEvery = time.Minute

// logLimit lets a log line that a worker would repeat every few seconds
// be written once a minute per key. The zero value is ready to use.
type logLimit struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// Allow reports whether the line for key may be written at now.
func (l *logLimit) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < logLimitEvery {
		return false
	}
	if l.last == nil || len(l.last) > 1024 {
		l.last = map[string]time.Time{} // keys of receivers long gone go with it
	}
	l.last[key] = now
	return true
}
