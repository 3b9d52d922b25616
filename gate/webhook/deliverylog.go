package webhook

import (
	"slices"
	"sync"
	"time"

	"github.com/authgate/authgate/gate/webhook/outbox"
)

// Delivery states in the delivery log.
const (
	StatePending   = "pending"   // enqueued, not yet attempted
	StateRetrying  = "retrying"  // failed at least once, another attempt scheduled
	StateDelivered = "delivered" // a 2xx answer
	StateDead      = "dead"      // given up on
)

// Attempt is one try at delivering an event to an endpoint.
type Attempt struct {
	Number   int           `json:"number"` // 1 for the first attempt
	At       time.Time     `json:"at"`
	Status   int           `json:"status,omitempty"` // HTTP status; 0 if none came
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	Response string        `json:"response,omitempty"` // start of the answer, cleaned
}

// EventRecord is what the delivery log keeps of one event for one
// endpoint.
type EventRecord struct {
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	EndpointID string    `json:"endpoint_id"`
	State      string    `json:"state"`
	Attempts   []Attempt `json:"attempts"`
	UpdatedAt  time.Time `json:"updated_at"`
	body       []byte    // kept for Replay
}

// EndpointStatus is the delivery health of one endpoint, as seen by this
// instance since it started.
type EndpointStatus struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	AppID       string    `json:"app_id,omitempty"` // only this app's events
	Format      string    `json:"format,omitempty"` // empty: envelope
	Disabled    bool      `json:"disabled"`         // after a 410 Gone, until Enable
	LastFiredAt time.Time `json:"last_fired_at,omitzero"`
	LastStatus  int       `json:"last_status,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Delivered   int64     `json:"delivered"`
	Failed      int64     `json:"failed"` // failed attempts
	Dead        int64     `json:"dead"`
}

// maxAttemptsKept bounds the attempts kept per record (replays add more).
const maxAttemptsKept = 32

// deliveryLog keeps per-endpoint health and the last few events of each
// endpoint, each for a limited time.
type deliveryLog struct {
	keep int
	ttl  time.Duration

	mu        sync.Mutex
	endpoints map[string]*EndpointStatus
	recent    map[string][]*EventRecord // per endpoint, oldest first
}

func newDeliveryLog(keep int, ttl time.Duration) *deliveryLog {
	return &deliveryLog{keep: keep, ttl: ttl,
		endpoints: make(map[string]*EndpointStatus), recent: make(map[string][]*EventRecord)}
}

func (l *deliveryLog) addEndpoint(ep Endpoint) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.endpoints[ep.ID] = &EndpointStatus{ID: ep.ID, URL: ep.URL, Events: slices.Clone(ep.Events), AppID: ep.AppID, Format: ep.Format}
}

func (l *deliveryLog) removeEndpoint(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.endpoints, id)
	delete(l.recent, id)
}

// recordLocked returns the record of d, making it if needed, and drops
// records beyond the count or age limits.
func (l *deliveryLog) recordLocked(d outbox.Delivery, now time.Time) *EventRecord {
	list := l.recent[d.EndpointID]
	for _, r := range slices.Backward(list) {
		if r.EventID == d.EventID {
			return r
		}
	}
	r := &EventRecord{EventID: d.EventID, EventType: d.EventType, EndpointID: d.EndpointID,
		State: StatePending, UpdatedAt: now, body: d.Body}
	list = append(list, r)
	cut := 0
	for cut < len(list) && (len(list)-cut > l.keep || now.Sub(list[cut].UpdatedAt) > l.ttl) {
		cut++
	}
	l.recent[d.EndpointID] = slices.Clone(list[cut:])
	return r
}

// enqueued records that d was handed to the outbox at since (a replay
// makes an ended record pending again). A worker may claim and attempt d
// before this runs: an attempt recorded at or after since is kept, not
// overwritten with pending.
func (l *deliveryLog) enqueued(d outbox.Delivery, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recordLocked(d, since)
	if r.UpdatedAt.After(since) || len(r.Attempts) > 0 && !r.Attempts[len(r.Attempts)-1].At.Before(since) {
		return
	}
	r.State, r.UpdatedAt = StatePending, since
}

// attempted records one attempt of d that left it in state.
func (l *deliveryLog) attempted(d outbox.Delivery, a Attempt, state string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recordLocked(d, a.At)
	if len(r.Attempts) == maxAttemptsKept {
		r.Attempts = slices.Delete(r.Attempts, 0, 1)
	}
	r.Attempts = append(r.Attempts, a)
	r.State, r.UpdatedAt = state, a.At
	s := l.endpoints[d.EndpointID]
	if s == nil {
		return
	}
	s.LastFiredAt, s.LastStatus, s.LastError = a.At, a.Status, a.Error
	if state == StateDelivered {
		s.Delivered++
	} else {
		s.Failed++
	}
	if state == StateDead {
		s.Dead++
	}
}

// dead records that d was given up on without an attempt.
func (l *deliveryLog) dead(d outbox.Delivery, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recordLocked(d, time.Now())
	r.State = StateDead
	if s := l.endpoints[d.EndpointID]; s != nil {
		s.Dead++
		s.LastError = reason
	}
}

func (l *deliveryLog) setDisabled(id string, disabled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.endpoints[id]; s != nil {
		s.Disabled = disabled
	}
}

func (l *deliveryLog) statuses() []EndpointStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]EndpointStatus, 0, len(l.endpoints))
	for _, s := range l.endpoints {
		c := *s
		c.Events = slices.Clone(s.Events)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b EndpointStatus) int {
		if a.ID < b.ID {
			return -1
		}
		return 1
	})
	return out
}

// records returns copies of the records of endpointID (all endpoints if
// empty) whose event is eventID (any if empty), newest first.
func (l *deliveryLog) records(endpointID, eventID string) []EventRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []EventRecord
	for id, list := range l.recent {
		if endpointID != "" && id != endpointID {
			continue
		}
		for _, r := range slices.Backward(list) {
			if eventID == "" || r.EventID == eventID {
				c := *r
				c.Attempts = slices.Clone(r.Attempts)
				out = append(out, c)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b EventRecord) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out
}
