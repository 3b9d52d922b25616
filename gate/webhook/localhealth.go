package webhook

import (
	"slices"
	"sync"
	"time"
)

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

// localHealth is this instance's own count of each endpoint's health
// (a shared HealthStore, if any, holds every instance's).
type localHealth struct {
	mu        sync.Mutex
	endpoints map[string]*EndpointStatus
}

func newLocalHealth() *localHealth {
	return &localHealth{endpoints: make(map[string]*EndpointStatus)}
}

func (h *localHealth) addEndpoint(ep Endpoint) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.endpoints[ep.ID] = &EndpointStatus{ID: ep.ID, URL: ep.URL, Events: slices.Clone(ep.Events), AppID: ep.AppID, Format: ep.Format}
}

func (h *localHealth) removeEndpoint(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.endpoints, id)
}

// attempted counts one attempt that left its delivery in state.
func (h *localHealth) attempted(endpointID string, a Attempt, state string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.endpoints[endpointID]
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

// dead counts a delivery given up on without an attempt.
func (h *localHealth) dead(endpointID, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.endpoints[endpointID]; s != nil {
		s.Dead++
		s.LastError = reason
	}
}

func (h *localHealth) setDisabled(id string, disabled bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.endpoints[id]; s != nil {
		s.Disabled = disabled
	}
}

func (h *localHealth) statuses() []EndpointStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]EndpointStatus, 0, len(h.endpoints))
	for _, s := range h.endpoints {
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
