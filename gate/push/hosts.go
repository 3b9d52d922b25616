package push

import (
	"errors"
	"sync"
	"time"
)

// failingAfter is how many failures in a row, without an answer between
// them, mark a push service as failing.
const failingAfter = 3

// slowAfter is how long a push may be in flight before its push service
// counts as slow.
const slowAfter = 2 * time.Second

// hostSlots bounds the pushes in flight to each push service, out of a
// pool of workers: a service holds at most three quarters of them, so one
// that hangs leaves the rest to the services that answer; one with a push
// in flight for over slowAfter gets at most a quarter for new pushes;
// and once it is failing, only one push at a time (a probe) goes to it,
// until one is answered.
type hostSlots struct {
	mu          sync.Mutex
	limit, slow int
	hosts       map[string]*hostState
}

type hostState struct {
	started  []time.Time // the pushes in flight, when each began
	failures int         // in a row, reset by any answer
}

// outcome is what a push told of its service.
type outcome int

const (
	answered   outcome = iota // the service answered, whatever it said
	unanswered                // a transport error or the push's own timeout
	neither                   // cut short by its login's end: says nothing
)

// outcomeOf tells what a push's error says of its service; cutShort is
// whether the push was cut short by its login's end or by shutdown.
func outcomeOf(err error, cutShort bool) outcome {
	var se *StatusError
	switch {
	case err == nil || errors.Is(err, ErrGone) || errors.Is(err, ErrNotAllowed) || errors.As(err, &se):
		return answered
	case cutShort:
		return neither
	}
	return unanswered
}

// newHostSlots shares a pool of workers among the push services.
func newHostSlots(workers int) *hostSlots {
	return &hostSlots{limit: max(1, workers-workers/4), slow: max(1, workers/4), hosts: map[string]*hostState{}}
}

// take reserves a slot for a push to host at now, returning its start to
// hand back to release. Without one, failing says whether the service is
// failing (its probe is out) rather than slow.
func (h *hostSlots) take(host string, now time.Time) (start time.Time, ok, failing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.hosts[host]
	if s == nil {
		s = &hostState{}
		h.hosts[host] = s
	}
	failing = s.failures >= failingAfter
	limit := h.limit
	switch {
	case failing:
		limit = 1
	case len(s.started) > 0 && now.Sub(s.started[0]) > slowAfter:
		limit = h.slow
	}
	if len(s.started) >= limit {
		return time.Time{}, false, failing
	}
	s.started = append(s.started, now)
	return now, true, false
}

// release returns the slot taken at start for host, with what the push
// told of the service.
func (h *hostSlots) release(host string, start time.Time, o outcome) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.hosts[host]
	if s == nil {
		return
	}
	for i, t := range s.started {
		if t.Equal(start) {
			s.started = append(s.started[:i], s.started[i+1:]...)
			break
		}
	}
	switch o {
	case answered:
		s.failures = 0
	case unanswered:
		s.failures++
	}
	if len(s.started) == 0 && s.failures == 0 {
		delete(h.hosts, host)
	}
}

// failing reports whether host is failing.
func (h *hostSlots) failing(host string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.hosts[host]
	return s != nil && s.failures >= failingAfter
}
