package push

import "sync"

// failingAfter is how many failures in a row, without an answer between
// them, mark a push service as failing.
const failingAfter = 3

// hostSlots bounds the pushes in flight to each push service: a service
// that hangs holds at most limit workers, leaving the others to the
// services that answer, and once it is failing only one push at a time
// (a probe) goes to it, until one is answered.
type hostSlots struct {
	mu    sync.Mutex
	limit int
	hosts map[string]*hostState
}

type hostState struct {
	inFlight int
	failures int // in a row, reset by any answer
}

// newHostSlots allows limit pushes in flight per service (at least one).
func newHostSlots(limit int) *hostSlots {
	return &hostSlots{limit: max(1, limit), hosts: map[string]*hostState{}}
}

// take reserves a slot for a push to host. When there is none, failing
// says whether the service is failing (its probe is out) rather than
// merely busy.
func (h *hostSlots) take(host string) (ok, failing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.hosts[host]
	if s == nil {
		s = &hostState{}
		h.hosts[host] = s
	}
	limit := h.limit
	if s.failures >= failingAfter {
		limit = 1
	}
	if s.inFlight >= limit {
		return false, s.failures >= failingAfter
	}
	s.inFlight++
	return true, false
}

// release returns a slot taken for host; answered says whether the
// service answered at all (any status), which ends a run of failures.
func (h *hostSlots) release(host string, answered bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.hosts[host]
	if s == nil {
		return
	}
	s.inFlight--
	if answered {
		s.failures = 0
	} else {
		s.failures++
	}
	if s.inFlight <= 0 && s.failures == 0 {
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
