package webhook

import (
	"context"
	"sync"
)

// MemoryHealth is a HealthStore in this process's memory. One instance
// has no one to share health with; it is for a caller that replaces its
// Dispatcher (a configuration reload) and wants the new one to keep the
// counters and the disabled-after-410 flags the old one saw.
type MemoryHealth struct {
	mu     sync.Mutex
	health map[string]Health
}

// NewMemoryHealth returns an empty MemoryHealth.
func NewMemoryHealth() *MemoryHealth {
	return &MemoryHealth{health: make(map[string]Health)}
}

// Record applies u to the health of endpointID; it never fails.
func (m *MemoryHealth) Record(_ context.Context, endpointID string, u HealthUpdate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.health[endpointID]
	if u.Fired {
		h.LastFiredAt, h.LastStatus, h.LastError = u.At, u.Status, u.Error
	} else if u.Error != "" {
		h.LastError = u.Error
	}
	h.Delivered += u.Delivered
	h.Failed += u.Failed
	h.Dead += u.Dead
	if u.Disable {
		h.Disabled = true
	}
	m.health[endpointID] = h
	return nil
}

// SetDisabled sets or clears the disabled flag of endpointID; it never
// fails.
func (m *MemoryHealth) SetDisabled(_ context.Context, endpointID string, disabled bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.health[endpointID]
	h.Disabled = disabled
	m.health[endpointID] = h
	return nil
}

// Load returns the health of each of ids that has any; it never fails.
func (m *MemoryHealth) Load(_ context.Context, ids []string) (map[string]Health, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Health, len(ids))
	for _, id := range ids {
		if h, ok := m.health[id]; ok {
			out[id] = h
		}
	}
	return out, nil
}

// Forget drops the health of endpointID; it never fails.
func (m *MemoryHealth) Forget(_ context.Context, endpointID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.health, endpointID)
	return nil
}

var _ HealthStore = (*MemoryHealth)(nil)
