package gateway

import (
	"net/http"
	"sync"
)

// streamsPerHolder is how many event streams one login (its browser) or
// one device may keep open on an instance at once. A browser with a few
// tabs, or a phone reconnecting before its old stream is noticed gone,
// stays well under it; someone opening streams by the thousand for one
// login to hold the instance's connections does not.
const streamsPerHolder = 8

// streamLimit counts the open event streams of each holder. The zero
// value is ready to use.
type streamLimit struct {
	mu   sync.Mutex
	open map[string]int
}

// take counts one more stream of holder and reports whether it is within
// streamsPerHolder; a true answer is paired with one give.
func (l *streamLimit) take(holder string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == nil {
		l.open = map[string]int{}
	}
	if l.open[holder] >= streamsPerHolder {
		return false
	}
	l.open[holder]++
	return true
}

// give counts a stream of holder closed.
func (l *streamLimit) give(holder string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[holder] <= 1 {
		delete(l.open, holder)
		return
	}
	l.open[holder]--
}

// admitStream takes a stream of holder, or answers 429 and returns
// false; after true, the caller defers g.streams.give(holder).
func (g *Gateway) admitStream(w http.ResponseWriter, holder string) bool {
	if g.streams.take(holder) {
		return true
	}
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusTooManyRequests, "too many event streams are open for this sign-in or phone; close one first")
	return false
}
